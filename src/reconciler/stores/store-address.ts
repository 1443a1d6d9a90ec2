import { readFile, stat } from 'node:fs/promises';
import type { Gaim } from '../../api/v1alpha1/gaim.js';
import type { Settings } from '../../config/settings.js';
import { OperatorError, wrap } from '../../errors.js';
import { Message } from '../../messages.js';
import { serviceHost } from '../../resources/connections.js';
import { objectNames } from '../../resources/meta.js';
import { MONGODB_PORT, MongoSecretKeys } from '../../resources/mongodb.js';
import { REDIS_OPERATOR_USER, REDIS_PORT, RedisSecretKeys } from '../../resources/redis.js';

/**
 * The address map, re-read only when the file changes (the local stack rewrites it as pods come and
 * go, by renaming a new file over it). The modification time alone does not tell: the kernel stamps
 * it from a coarse clock, updated once a jiffy, so "any change that happens within that jiffy will end
 * up with the same timestamp" (kernel.org, Documentation/filesystems/multigrain-ts.rst), and a stale
 * map sends the operator to a store that is gone. The file's inode (a new file each rewrite), its size and
 * its change time (which no one can set) go with it.
 */
let cached: { path: string; version: string; map: Readonly<Record<string, string>> } | undefined;

async function addressMap(path: string): Promise<Readonly<Record<string, string>>> {
  const { ino, size, mtimeNs, ctimeNs } = await stat(path, { bigint: true });
  const version = `${String(ino)}/${String(size)}/${String(mtimeNs)}/${String(ctimeNs)}`;
  if (cached?.path === path && cached.version === version) return cached.map;
  const map = JSON.parse(await readFile(path, 'utf8')) as Record<string, string>;
  cached = { path, version, map };
  return map;
}

/**
 * host:port where the operator reaches a Gaim's store. In a cluster: its Service. Out of cluster:
 * the address map (GAIM_STORE_ADDRESS_MAP: each Service's address to where its store listens, one
 * store per pod, as in a cluster), or an address override that sends every Gaim to one shared server.
 */
export async function storeAddress(gaim: Gaim, store: 'mongodb' | 'redis', overrides: Settings['overrides']): Promise<string> {
  const names = objectNames(gaim);
  const service = store === 'mongodb' ? `${serviceHost(gaim, names.mongodb)}:${MONGODB_PORT}` : `${serviceHost(gaim, names.redis)}:${REDIS_PORT}`;
  const override = overrides[store];
  if (override !== undefined) return override;
  if (overrides.addressMap === undefined) return service;
  let map;
  try {
    map = await addressMap(overrides.addressMap);
  } catch (error: unknown) {
    throw wrap(error, `${Message.resolveStore(service)}: cannot read GAIM_STORE_ADDRESS_MAP ${overrides.addressMap}`, { type: store });
  }
  const address = map[service];
  if (address === undefined) throw new OperatorError(store, `${Message.resolveStore(service)}: it is not in GAIM_STORE_ADDRESS_MAP (no pod of it is running)`);
  return address;
}

/**
 * How the operator logs in to a Gaim's store, from its credentials Secret's values: Redis as the
 * operator's own user, MongoDB as root. Where the store is: storeAddress.
 */
export async function operatorTarget(gaim: Gaim, store: 'mongodb' | 'redis', secret: Readonly<Record<string, string>>, overrides: Settings['overrides']): Promise<{ address: string; username: string; password: string }> {
  const address = await storeAddress(gaim, store, overrides);
  return store === 'redis'
    ? { address, username: REDIS_OPERATOR_USER, password: secret[RedisSecretKeys.operatorPassword] ?? '' }
    : { address, username: secret[MongoSecretKeys.rootUsername] ?? '', password: secret[MongoSecretKeys.rootPassword] ?? '' };
}
