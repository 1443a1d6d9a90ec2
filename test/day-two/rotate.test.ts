// Rotating a Gaim's app credentials against the stack's real redis-server: both passwords work
// during the grace period, only the new one after it, a store restarted mid-grace with no operator
// running accepts both, and a rotation cut short by SIGKILL finishes under the next operator with the Secret
// holding a password the store accepts at every step. MongoDB's two alternating users cannot be
// shown: FerretDB cannot create users with roles (the unit tests in src/resources/rotation.test.ts
// cover its command sequence); here the operator says so and leaves MongoDB's Secret as it was.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources } from '../../src/kube/resources.js';
import { redisAnswers } from '../../stack/store-runtime.js';
import { createGaim } from '../support/gaims.js';
import { isSynced, recordGaim, waitForGaim, type GaimObject } from '../support/operator.js';
import { createNamespace, eventually, partitionStores, stackEnv } from '../support/stack.js';
import { useSuite } from '../support/suite.js';

type Secret = KubeObject & { data?: Record<string, string> };
type Event = KubeObject & { reason?: string; type?: string; note?: string };
const ROTATE = 'gaim.livingcontent.io/rotate-credentials';

const handled = (g: GaimObject) => (g.status as { rotateCredentialsHandled?: string } | undefined)?.rotateCredentialsHandled;

describe('rotating credentials', () => {
  const suite = useSuite();
  const secret = async (ns: string, name: string) => {
    const { data = {} } = await suite.client.get<Secret>(Resources.secret, name, ns);
    return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
  };
  /** Whether a new connection logs in to the Gaim's Redis with `password` (as an app does: AUTH with the password alone). */
  const accepts = async (ns: string, gaim: string, password: string): Promise<boolean> => {
    const map = JSON.parse(await readFile(stackEnv().STORE_ADDRESS_MAP, 'utf8')) as Record<string, string>;
    const [host = '', port = ''] = (map[`${gaim}-redis.${ns}.svc.cluster.local:6379`] ?? '').split(':');
    return redisAnswers({ host, port: Number(port), password });
  };
  const reasons = async (ns: string) => (await suite.client.list<Event>(Resources.event, { namespace: ns })).items.map((e) => e.reason ?? '');

  it('keeps the old Redis password working through the grace period, even across a store restart, then only the new one', async () => {
    const operator = await suite.operator('', { GAIM_ROTATION_GRACE_SECONDS: '20' });
    const ns = await createNamespace('rotate');
    await createGaim(suite.client, ns, 'rot');
    await waitForGaim(suite.client, ns, 'rot', 'to be Synced', isSynced, 120_000);
    const before = { redis: await secret(ns, 'rot-redis-credentials'), mongodb: await secret(ns, 'rot-mongodb-credentials') };
    const old = before.redis['password'] ?? '';
    expect(await accepts(ns, 'rot', old)).toBe(true);

    const history = recordGaim(suite.client, ns, 'rot');
    await suite.client.mergePatch(Resources.gaim, 'rot', ns, { metadata: { annotations: { [ROTATE]: 'r1' } } });
    const rotated = await waitForGaim(suite.client, ns, 'rot', 'to have rotated', (g) => handled(g) === 'r1');
    expect((rotated.status as { credentialsRotatedAt?: string }).credentialsRotatedAt).toMatch(/^\d{4}-\d\d-\d\dT/);

    const during = await secret(ns, 'rot-redis-credentials');
    const fresh = during['password'] ?? '';
    expect(fresh).not.toBe(old);
    expect(during).toMatchObject({ 'previous-password': old, 'operator-password': before.redis['operator-password'] });
    expect(during['pending-password']).toBeUndefined();
    expect(await accepts(ns, 'rot', fresh)).toBe(true);
    expect(await accepts(ns, 'rot', old)).toBe(true);

    // The store restarts during the grace period with no operator running (a node upgrade while the
    // operator is being upgraded): the pod's own configuration carries both passwords.
    const gracing = await secret(ns, 'rot-redis-credentials');
    expect(gracing['grace-password']).toBe(old);
    await operator.stop();
    const [pod] = (await suite.client.list(Resources.pod, { namespace: ns, labelSelector: 'app.kubernetes.io/component=redis' })).items;
    await suite.client.delete(Resources.pod, pod?.metadata?.name ?? '', ns);
    await eventually('the restarted store to accept the previous and the current password, no operator running', async () =>
      ((await suite.client.list(Resources.pod, { namespace: ns, labelSelector: 'app.kubernetes.io/component=redis' })).items.some((p) => p.metadata?.uid !== pod?.metadata?.uid)
        && await accepts(ns, 'rot', old) && await accepts(ns, 'rot', fresh) ? true : undefined), 30_000);

    // The grace period ends (the operator back): the previous password goes from the store and from
    // the Secret, and a restart after it starts with the current one only.
    await suite.operator('', { GAIM_ROTATION_GRACE_SECONDS: '20' });
    await eventually('the previous password to expire', async () => ((await secret(ns, 'rot-redis-credentials'))['previous-password'] === undefined ? true : undefined), 60_000);
    expect(await accepts(ns, 'rot', old)).toBe(false);
    expect(await accepts(ns, 'rot', fresh)).toBe(true);
    expect(await secret(ns, 'rot-redis-credentials')).toMatchObject({ password: fresh, 'grace-password': fresh });
    history.stop();
    expect(history.versions.filter((g) => g.status?.syncStatus === 'Failed').map((g) => g.status?.message)).toEqual([]);

    const seen = await reasons(ns);
    for (const reason of ['CredentialsRotationStarted', 'CredentialsAccepted', 'CredentialsSwitched', 'PreviousCredentialsRemoved']) expect(seen).toContain(reason);
    // FerretDB: no users with roles, so MongoDB's app user is not rotated, and the operator says so.
    expect(seen).toContain('CredentialsRotationUnsupported');
    expect(await secret(ns, 'rot-mongodb-credentials')).toEqual(before.mongodb);
  }, 420_000); // the sum of its waits' bounds (Synced 120 s, a rotation, a restart, the grace period)

  it('finishes a rotation interrupted by SIGKILL, the Secret holding a password the store accepts at every step', async () => {
    const first = await suite.operator('', { GAIM_ROTATION_GRACE_SECONDS: '600' });
    const ns = await createNamespace('rotkill');
    await createGaim(suite.client, ns, 'rkill');
    await waitForGaim(suite.client, ns, 'rkill', 'to be Synced', isSynced, 120_000);
    const old = (await secret(ns, 'rkill-redis-credentials'))['password'] ?? '';

    // The operator loses Redis right after it generated the new password, before the store knows it.
    await partitionStores('redis', 'cut', ns);
    await suite.client.mergePatch(Resources.gaim, 'rkill', ns, { metadata: { annotations: { [ROTATE]: 'r1' } } });
    const midway = await eventually('the new password to be pending', async () => {
      const data = await secret(ns, 'rkill-redis-credentials');
      return data['pending-password'] === undefined ? undefined : data;
    });
    expect(midway['password']).toBe(old);
    first.kill('SIGKILL');
    await first.exited;
    await partitionStores('redis', 'heal', ns);
    // What the Secret calls current still works; the pending one is not known to the store yet.
    expect(await accepts(ns, 'rkill', old)).toBe(true);
    expect(await accepts(ns, 'rkill', midway['pending-password'] ?? '')).toBe(false);

    await suite.operator('', { GAIM_ROTATION_GRACE_SECONDS: '600' });
    await waitForGaim(suite.client, ns, 'rkill', 'to finish the rotation', (g) => handled(g) === 'r1' && isSynced(g), 120_000);
    const after = await secret(ns, 'rkill-redis-credentials');
    expect(after['password']).toBe(midway['pending-password']);
    expect(after['previous-password']).toBe(old);
    expect(await accepts(ns, 'rkill', after['password'] ?? '')).toBe(true);
    expect(await accepts(ns, 'rkill', old)).toBe(true);
  }, 360_000); // the sum of its waits' bounds (Synced, the pending password, the rotation)
});
