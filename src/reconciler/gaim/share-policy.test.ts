import { describe, expect, it } from 'vitest';
import type { Gaim } from '../../api/v1alpha1/gaim.js';
import { shareRefusal } from './share-policy.js';

const allow = { servers: ['filestore.internal', '10.0.0.2'], pathTemplate: '/vol1/gaims/{namespace}' };
const gaim = (server: string, path: string, namespace = 'team-a') =>
  ({ metadata: { name: 'marvin', namespace }, spec: { lancedb: { storage: { nfs: { server, path } } } } }) as unknown as Gaim;

describe('shareRefusal', () => {
  it.each([
    ['its own directory', 'filestore.internal', '/vol1/gaims/team-a', undefined],
    ['below its own directory', '10.0.0.2', '/vol1/gaims/team-a/lancedb', undefined],
    ['an allowed server in other case', 'FileStore.Internal', '/vol1/gaims/team-a', undefined],
    ['the parent of every tenant', 'filestore.internal', '/vol1', 'is not /vol1/gaims/team-a or below it'],
    ['the tenants\' root', 'filestore.internal', '/vol1/gaims', 'is not /vol1/gaims/team-a or below it'],
    ['a sibling tenant\'s directory', 'filestore.internal', '/vol1/gaims/team-b', 'is not /vol1/gaims/team-a or below it'],
    ['a sibling whose name starts with its own', 'filestore.internal', '/vol1/gaims/team-ab', 'is not /vol1/gaims/team-a or below it'],
    ['another server', 'evil.example.com', '/vol1/gaims/team-a', 'not one of GAIM_NFS_SERVERS'],
    ['the address of an allowed name (never resolved)', '10.0.0.3', '/vol1/gaims/team-a', 'not one of GAIM_NFS_SERVERS'],
    ['a trailing slash', 'filestore.internal', '/vol1/gaims/team-a/', 'not a plain absolute path'],
    ['a doubled slash', 'filestore.internal', '/vol1//gaims/team-a', 'not a plain absolute path'],
    ['a .. escaping it', 'filestore.internal', '/vol1/gaims/team-a/../team-b', 'not a plain absolute path'],
    ['a . segment', 'filestore.internal', '/vol1/gaims/./team-a', 'not a plain absolute path'],
  ] as const)('%s', (_name, server, path, refusal) => {
    const verdict = shareRefusal(gaim(server, path), allow);
    if (refusal === undefined) expect(verdict).toBeUndefined();
    else expect(verdict).toContain(refusal);
  });

  it('refuses every static share when no server is allowed, and fills in {gaim} too', () => {
    expect(shareRefusal(gaim('filestore.internal', '/vol1/gaims/team-a'), { servers: [], pathTemplate: undefined })).toContain('GAIM_NFS_SERVERS is empty');
    expect(shareRefusal(gaim('10.0.0.2', '/vol1/team-a/marvin'), { servers: ['10.0.0.2'], pathTemplate: '/vol1/{namespace}/{gaim}' })).toBeUndefined();
    expect(shareRefusal(gaim('10.0.0.2', '/vol1/team-a/other'), { servers: ['10.0.0.2'], pathTemplate: '/vol1/{namespace}/{gaim}' })).toContain('is not /vol1/team-a/marvin');
  });
});
