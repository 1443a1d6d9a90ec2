// One table of Gaim manifests, fed to both the real API server (through kubectl, as users apply
// them) and the operator's zod schema. Each invalid case names the field the error must name.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../../stack/stack.js';

export type Manifest = Record<string, unknown> & { metadata: { name: string }; spec: Record<string, unknown> };

export interface Case {
  readonly name: string;
  readonly manifest: Manifest;
  /** For update rules: the object as it was before (created first, then the manifest is applied). */
  readonly before?: Manifest;
  /** Undefined for valid manifests. */
  readonly invalid?: {
    /** The field path the error must name. */
    readonly field: string;
    /** A fragment of the API server's message. */
    readonly apiMessage: string;
    /** Rules only the API server can check (they compare with the old object). */
    readonly updateOnly?: true;
  };
}

export const samplesDir = join(repoRoot, 'config', 'samples');

export function samples(): { file: string; manifest: Manifest }[] {
  return readdirSync(samplesDir).filter((f) => f.endsWith('.yaml')).sort()
    .map((file) => ({ file, manifest: parse(readFileSync(join(samplesDir, file), 'utf8')) as Manifest }));
}

const base = (): Manifest => ({
  apiVersion: 'gaim.livingcontent.io/v1alpha1',
  kind: 'Gaim',
  metadata: { name: 'marvin' },
  spec: {
    gaimId: '660e8400-e29b-41d4-a716-446655440001',
    displayName: 'Marvin the Paranoid Android',
    environments: ['stage'],
    lancedb: { storage: { storageClassName: 'enterprise-multishare-rwx', size: '100Gi' } },
  },
});

type Edit = (m: Manifest) => void;
const edit = (...edits: Edit[]): Manifest => {
  const m = base();
  for (const e of edits) e(m);
  return m;
};
const spec = (patch: Record<string, unknown>): Edit => (m) => { Object.assign(m.spec, patch); };
const storage = (value: Record<string, unknown>): Edit => (m) => { m.spec['lancedb'] = { storage: value }; };
const named = (name: string): Edit => (m) => { m.metadata.name = name; };
const without = (field: string): Edit => (m) => { Reflect.deleteProperty(m.spec, field); };
const nfs = { server: '10.0.0.2', path: '/vol1/gaims/marvin' };

const invalid = (field: string, apiMessage: string) => ({ field, apiMessage });

export const cases: readonly Case[] = [
  { name: 'base manifest', manifest: base() },
  { name: 'static nfs with a nominal size', manifest: edit(storage({ nfs, size: '1Ti' })) },
  { name: 'static nfs without size', manifest: edit(storage({ nfs })) },
  { name: 'nfs server given as a DNS name', manifest: edit(storage({ nfs: { server: 'filestore.internal', path: '/share' } })) },
  { name: 'all three environments', manifest: edit(spec({ environments: ['local', 'stage', 'prod'] })) },
  { name: 'free-form config kept as given', manifest: edit(spec({ config: { settings: { Deep: { any: [1, 'two'] } }, fe: { theme: 'dark' } } })) },
  { name: 'minimum name length 3', manifest: edit(named('abc')) },
  { name: 'maximum name length 12 with digits and dashes', manifest: edit(named('a2345-789-12')) },
  { name: 'a backup schedule with retention', manifest: edit(spec({ backup: { schedule: '0 3 * * *', keep: 3, requireAll: false } })) },
  { name: 'a backup schedule as a macro', manifest: edit(spec({ backup: { schedule: '@daily' } })) },
  { name: 'deletionPolicy Snapshot', manifest: edit(spec({ deletionPolicy: 'Snapshot' })) },
  { name: 'restoring at creation', manifest: edit(spec({ restoreFrom: { backup: 'marvin-nightly' } })) },
  { name: 'queue auto-pilot', manifest: edit(spec({ redis: { queues: { maxDeliveries: 3, removeIdleConsumersAfter: '1h30m' } } })) },
  { name: 'lancedb maintenance', manifest: edit(storage({ storageClassName: 'enterprise-multishare-rwx', size: '100Gi' }), (m) => { (m.spec['lancedb'] as Record<string, unknown>)['maintenance'] = { schedule: '0 4 * * 0', cleanupOlderThan: '72h' }; }) },

  { name: 'name too short', manifest: edit(named('ab')), invalid: invalid('metadata.name', 'metadata.name is the gaim_name') },
  { name: 'name too long', manifest: edit(named('abcdefghijklm')), invalid: invalid('metadata.name', 'metadata.name is the gaim_name') },
  { name: 'name with a dot', manifest: edit(named('mar.vin')), invalid: invalid('metadata.name', 'metadata.name is the gaim_name') },
  { name: 'name with upper case', manifest: edit(named('Marvin')), invalid: invalid('metadata.name', 'RFC 1123') },
  { name: 'name ending with a dash', manifest: edit(named('marvin-')), invalid: invalid('metadata.name', 'RFC 1123') },
  { name: 'gaimId not a UUID', manifest: edit(spec({ gaimId: 'marvin-42' })), invalid: invalid('spec.gaimId', 'should match') },
  { name: 'gaimId in upper case', manifest: edit(spec({ gaimId: '660E8400-E29B-41D4-A716-446655440001' })), invalid: invalid('spec.gaimId', 'should match') },
  { name: 'gaimId missing', manifest: edit(without('gaimId')), invalid: invalid('spec.gaimId', 'Required value') },
  { name: 'tenant id not a UUID', manifest: edit(spec({ tenantIds: ['siriuscorp'] })), invalid: invalid('spec.tenantIds[0]', 'should match') },
  { name: 'tenant id repeated', manifest: edit(spec({ tenantIds: ['550e8400-e29b-41d4-a716-446655440000', '550e8400-e29b-41d4-a716-446655440000'] })), invalid: invalid('spec.tenantIds', 'Duplicate value') },
  { name: 'unknown environment', manifest: edit(spec({ environments: ['dev'] })), invalid: invalid('spec.environments[0]', 'Unsupported value: "dev"') },
  { name: 'duplicate environments', manifest: edit(spec({ environments: ['stage', 'stage'] })), invalid: invalid('spec.environments', 'Duplicate value: "stage"') },
  { name: 'no environments', manifest: edit(spec({ environments: [] })), invalid: invalid('spec.environments', 'should have at least 1 items') },
  { name: 'environments missing', manifest: edit(without('environments')), invalid: invalid('spec.environments', 'Required value') },
  { name: 'both storage modes', manifest: edit(storage({ storageClassName: 'enterprise-multishare-rwx', size: '100Gi', nfs })), invalid: invalid('spec.lancedb.storage', 'set exactly one of storageClassName') },
  { name: 'neither storage mode', manifest: edit(storage({ size: '100Gi' })), invalid: invalid('spec.lancedb.storage', 'set exactly one of storageClassName') },
  { name: 'storage class without size', manifest: edit(storage({ storageClassName: 'enterprise-multishare-rwx' })), invalid: invalid('spec.lancedb.storage.size', 'size is required with storageClassName') },
  { name: 'negative size', manifest: edit(storage({ storageClassName: 'enterprise-multishare-rwx', size: '-100Gi' })), invalid: invalid('spec.lancedb.storage.size', 'should match') },
  { name: 'malformed size', manifest: edit(storage({ storageClassName: 'enterprise-multishare-rwx', size: '100 GB' })), invalid: invalid('spec.lancedb.storage.size', 'should match') },
  { name: 'zero mongodb storage', manifest: edit(spec({ mongodb: { storage: '0Gi' } })), invalid: invalid('spec.mongodb.storage', 'should match') },
  { name: 'fractional redis storage', manifest: edit(spec({ redis: { storage: '1.5Gi' } })), invalid: invalid('spec.redis.storage', 'should match') },
  { name: 'relative nfs path', manifest: edit(storage({ nfs: { server: '10.0.0.2', path: 'vol1/gaims' } })), invalid: invalid('spec.lancedb.storage.nfs.path', 'should match') },
  { name: 'nfs path escaping with ..', manifest: edit(storage({ nfs: { server: '10.0.0.2', path: '/vol1/../etc' } })), invalid: invalid('spec.lancedb.storage.nfs.path', 'should match') },
  { name: 'unknown tier', manifest: edit(spec({ tier: 'huge' })), invalid: invalid('spec.tier', 'Unsupported value: "huge"') },
  { name: 'a backup schedule of four fields', manifest: edit(spec({ backup: { schedule: '0 3 * *' } })), invalid: invalid('spec.backup.schedule', 'should match') },
  { name: 'keeping no backups', manifest: edit(spec({ backup: { schedule: '@daily', keep: 0 } })), invalid: invalid('spec.backup.keep', 'should be greater than or equal to 1') },
  { name: 'an unknown deletionPolicy', manifest: edit(spec({ deletionPolicy: 'Archive' })), invalid: invalid('spec.deletionPolicy', 'Unsupported value: "Archive"') },
  { name: 'maxDeliveries zero', manifest: edit(spec({ redis: { queues: { maxDeliveries: 0 } } })), invalid: invalid('spec.redis.queues.maxDeliveries', 'should be greater than or equal to 1') },
  { name: 'an idle-consumer duration in days', manifest: edit(spec({ redis: { queues: { removeIdleConsumersAfter: '5d' } } })), invalid: invalid('spec.redis.queues.removeIdleConsumersAfter', 'should match') },
  { name: 'unknown deletion policy', manifest: edit(spec({ deletionPolicy: 'Destroy' })), invalid: invalid('spec.deletionPolicy', 'Unsupported value: "Destroy"') },
  { name: 'empty display name', manifest: edit(spec({ displayName: '' })), invalid: invalid('spec.displayName', 'should be at least 1 chars long') },
  { name: 'suspend as a string', manifest: edit(spec({ suspend: 'yes' })), invalid: invalid('spec.suspend', 'must be of type boolean') },
  { name: 'image with whitespace', manifest: edit(spec({ mongodb: { image: 'mongo 7' } })), invalid: invalid('spec.mongodb.image', 'should match') },
  { name: 'video dimensions zero', manifest: edit((m) => { m.spec['lancedb'] = { storage: { nfs }, embeddingDimensions: { video: 0 } }; }), invalid: invalid('spec.lancedb.embeddingDimensions.video', 'should be greater than or equal to 1') },
  { name: 'unknown spec field', manifest: edit(spec({ replicas: 3 })), invalid: invalid('spec', 'unknown field "spec.replicas"') },
  { name: 'unknown nested field', manifest: edit(spec({ mongodb: { version: '7' } })), invalid: invalid('spec.mongodb', 'unknown field "spec.mongodb.version"') },
  { name: 'unknown config section', manifest: edit(spec({ config: { secrets: { a: 1 } } })), invalid: invalid('spec.config', 'unknown field "spec.config.secrets"') },

  {
    name: 'gaimId changed on update',
    before: base(),
    manifest: edit(spec({ gaimId: '660e8400-e29b-41d4-a716-446655440002' })),
    invalid: { field: 'spec.gaimId', apiMessage: 'gaimId is immutable', updateOnly: true },
  },
  {
    name: 'storage switched from a class to nfs on update',
    before: base(),
    manifest: edit(storage({ nfs })),
    invalid: { field: 'spec.lancedb.storage', apiMessage: 'cannot switch lancedb.storage', updateOnly: true },
  },
  {
    name: 'storage class changed on update',
    before: base(),
    manifest: edit(storage({ storageClassName: 'standard', size: '100Gi' })),
    invalid: { field: 'spec.lancedb.storage.storageClassName', apiMessage: 'storageClassName is immutable', updateOnly: true },
  },
  {
    name: 'nfs size changed on update',
    before: edit(storage({ nfs, size: '1Ti' })),
    manifest: edit(storage({ nfs, size: '2Ti' })),
    invalid: { field: 'spec.lancedb.storage.size', apiMessage: 'size cannot change with nfs', updateOnly: true },
  },
  {
    name: 'nfs size added on update',
    before: edit(storage({ nfs })),
    manifest: edit(storage({ nfs, size: '2Ti' })),
    invalid: { field: 'spec.lancedb.storage.size', apiMessage: 'size cannot change with nfs', updateOnly: true },
  },
  {
    name: 'mongodb storage shrunk on update',
    before: edit(spec({ mongodb: { storage: '20Gi' } })),
    manifest: edit(spec({ mongodb: { storage: '10Gi' } })),
    invalid: { field: 'spec.mongodb.storage', apiMessage: 'volumes only grow', updateOnly: true },
  },
  {
    name: 'redis storage shrunk on update, across units (2Gi to 2000Mi)',
    before: edit(spec({ redis: { storage: '2Gi' } })),
    manifest: edit(spec({ redis: { storage: '2000Mi' } })),
    invalid: { field: 'spec.redis.storage', apiMessage: 'volumes only grow', updateOnly: true },
  },
  {
    name: 'lancedb size shrunk on update (1Ti to 1000Gi)',
    before: edit(storage({ storageClassName: 'enterprise-multishare-rwx', size: '1Ti' })),
    manifest: edit(storage({ storageClassName: 'enterprise-multishare-rwx', size: '1000Gi' })),
    invalid: { field: 'spec.lancedb.storage.size', apiMessage: 'volumes only grow', updateOnly: true },
  },
  {
    name: 'mongodb storage grown on update, across units (1Ti from 900Gi)',
    before: edit(spec({ mongodb: { storage: '900Gi' } })),
    manifest: edit(spec({ mongodb: { storage: '1Ti' } })),
  },
  {
    name: 'lancedb size grown on update',
    before: edit(storage({ storageClassName: 'enterprise-multishare-rwx', size: '100Gi' })),
    manifest: edit(storage({ storageClassName: 'enterprise-multishare-rwx', size: '200Gi' })),
  },
  {
    name: 'restoreFrom added on update',
    before: base(),
    manifest: edit(spec({ restoreFrom: { backup: 'marvin-nightly' } })),
    invalid: { field: 'spec', apiMessage: 'restoreFrom is set only when a Gaim is created', updateOnly: true },
  },
  {
    name: 'restoreFrom changed on update',
    before: edit(spec({ restoreFrom: { backup: 'marvin-nightly' } })),
    manifest: edit(spec({ restoreFrom: { backup: 'marvin-weekly' } })),
    invalid: { field: 'spec', apiMessage: 'restoreFrom is set only when a Gaim is created', updateOnly: true },
  },
  {
    name: 'nfs share changed on update',
    before: edit(storage({ nfs })),
    manifest: edit(storage({ nfs: { server: '10.0.0.3', path: '/vol1/gaims/marvin' } })),
    invalid: { field: 'spec.lancedb.storage.nfs', apiMessage: 'nfs is immutable', updateOnly: true },
  },
];
