import { mkdtemp, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testGaim } from '../../testing/gaims.js';
import { storeAddress } from './store-address.js';

describe('storeAddress through the address map', () => {
  let dir = '';
  let mapFile = '';
  const gaim = testGaim();
  const service = 'marvin-redis.team.svc.cluster.local:6379';
  const overrides = () => ({ mongodb: undefined, redis: undefined, addressMap: mapFile });
  /** As the stack rewrites it: a new file renamed over the map. */
  const rewrite = async (map: Record<string, string>) => {
    await writeFile(`${mapFile}.tmp`, JSON.stringify(map));
    await rename(`${mapFile}.tmp`, mapFile);
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'address-map-'));
    mapFile = join(dir, 'map.json');
  });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('follows a rewrite that lands in the same clock tick as the one before (same modification time)', async () => {
    const tick = 1_700_000_000; // the coarse clock's tick: both rewrites stamped alike
    await rewrite({ [service]: '127.0.0.1:40001' });
    await utimes(mapFile, tick, tick);
    expect(await storeAddress(gaim, 'redis', overrides())).toBe('127.0.0.1:40001');
    await rewrite({ [service]: '127.0.0.1:40002' });
    await utimes(mapFile, tick, tick);
    expect(await storeAddress(gaim, 'redis', overrides())).toBe('127.0.0.1:40002');
  });

  it('says which Service is missing when no pod of it runs', async () => {
    await rewrite({});
    await expect(storeAddress(gaim, 'redis', overrides())).rejects.toThrow(/marvin-redis\.team\.svc\.cluster\.local:6379.*no pod of it is running/);
  });

  it('an address override wins over the map', async () => {
    await rewrite({ [service]: '127.0.0.1:40001' });
    expect(await storeAddress(gaim, 'redis', { ...overrides(), redis: '10.0.0.9:6379' })).toBe('10.0.0.9:6379');
  });
});
