import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/objects.js';
import type { GaimEvent } from './events.js';
import { hibernationLine, renderStatus, type FirestorePanel, type StatusInput } from './render.js';
import { gaimView } from './gaim-view.js';

const NOW = new Date('2025-06-01T12:00:00Z');
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString();
const ID = '660e8400-e29b-41d4-a716-446655440001';

const condition = (type: string, status: string, reason: string, message: string, secondsAgo: number) =>
  ({ type, status, reason, message, lastTransitionTime: ago(secondsAgo), observedGeneration: 4 });

function gaim(status: Record<string, unknown> | undefined, spec: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'gaim.livingcontent.io/v1alpha1', kind: 'Gaim',
    metadata: { name: 'marvin', namespace: 'tenant-a', generation: 4, ...metadata },
    spec: { gaimId: ID, environments: ['stage', 'prod'], tier: 'small', ...spec },
    ...(status === undefined ? {} : { status }),
  };
}

const SYNCED = {
  observedGeneration: 4, syncStatus: 'Synced', message: 'all stores ready and seeded', retryCount: 0,
  conditions: [
    condition('Ready', 'True', 'Synced', 'all stores ready and seeded', 200),
    condition('QueuesHealthy', 'True', 'Healthy', 'every group consumes', 30),
    condition('MongoDBReady', 'True', 'Ready', '1/1 pods ready', 260),
  ],
  endpoints: { mongodb: 'marvin-mongodb.tenant-a.svc.cluster.local:27017', redis: 'marvin-redis.tenant-a.svc.cluster.local:6379', lancedbClaim: 'marvin-lancedb' },
  claims: [
    { name: 'data-marvin-mongodb-0', store: 'mongodb', requested: '10Gi', capacity: '10Gi' },
    { name: 'data-marvin-redis-0', store: 'redis', requested: '4Gi', capacity: '2Gi' },
    { name: 'marvin-lancedb', store: 'lancedb', requested: '100Gi', capacity: '100Gi' },
  ],
};

const FOUND: FirestorePanel = {
  source: 'emulator 127.0.0.1:8080',
  entries: { state: 'found', path: `gaims/${ID}`, entries: { stage: { syncStatus: 'synced', errorType: null, retryCount: 0, updatedAt: ago(190), cluster: 'stage-eu' } } },
};

const render = (object: KubeObject, more: Partial<StatusInput> = {}) =>
  renderStatus({ gaim: object, events: [], firestore: FOUND, now: NOW, ...more });

/** The value after a label ("Sync:"), continuation lines joined. */
function fieldOf(lines: readonly string[], label: string): string | undefined {
  const start = lines.findIndex((l) => l.startsWith(`${label}:`));
  if (start < 0) return undefined;
  const rest = lines.slice(start + 1);
  const continued = rest.slice(0, Math.max(0, rest.findIndex((l) => !l.startsWith(' '.repeat(15)) || l.trim() === '')));
  return [lines[start]?.slice(15) ?? '', ...continued.map((l) => l.trim())].join(' ').trim();
}

/** The table rows under a label, as cells (columns are two or more spaces apart). */
function rowsOf(lines: readonly string[], label: string): string[][] {
  const start = lines.findIndex((l) => l.startsWith(`${label}:`));
  const rows: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith(' '.repeat(15))) continue; // the label's value, wrapped
    if (!line.startsWith('  ') || line.trim() === '') break;
    rows.push(line.trim().split(/ {2,}/));
  }
  return rows;
}

describe('renderStatus: the header', () => {
  it.each<[string, KubeObject, Record<string, string | undefined>]>([
    ['a Synced Gaim', gaim(SYNCED), { Sync: 'Synced (observed generation 4, current)', Error: 'none', Retries: 'none', Message: 'all stores ready and seeded' }],
    ['a new Gaim the operator has not seen', gaim(undefined), { Sync: 'not reported yet (the operator has not written a status)', Error: undefined, Retries: undefined }],
    ['a spec the operator has not acted on', gaim({ ...SYNCED, syncStatus: 'Progressing' }, {}, { generation: 5 }), {
      Sync: 'Progressing (observed generation 4; the spec is at 5, not acted on yet)',
    }],
    ['a transient failure, retried in 38 s', gaim({
      ...SYNCED, syncStatus: 'Failed', errorType: 'storage', retryCount: 3, lastRetryAt: ago(120), nextRetryAt: new Date(NOW.getTime() + 38_000).toISOString(),
      message: 'cannot seed lancedb: the share at /data/stage does not support hard links (link: EPERM), which LanceDB\'s commits rely on; tables were not created',
      conditions: [condition('Ready', 'False', 'FilesystemUnsupported', 'cannot seed lancedb', 120), condition('StorageReady', 'False', 'FilesystemUnsupported', 'x', 120)],
    }), {
      Sync: 'Failed (observed generation 4, current)',
      Error: 'storage (reason FilesystemUnsupported)',
      Retries: '3; last 2m ago; next in 38s (2025-06-01T12:00:38.000Z)',
      Message: 'cannot seed lancedb: the share at /data/stage does not support hard links (link: EPERM), which LanceDB\'s commits rely on; tables were not created',
    }],
    ['a retry that is overdue (no operator running)', gaim({ ...SYNCED, syncStatus: 'Failed', errorType: 'redis', retryCount: 1, nextRetryAt: ago(50) }), {
      Retries: `1; next was due 50s ago (${ago(50)})`,
    }],
    ['a terminal error', gaim({ ...SYNCED, syncStatus: 'Failed', errorType: 'validation', retryCount: 1 }), { Retries: '1; no retry until the spec changes' }],
    ['a Gaim being deleted', gaim(SYNCED, {}, { deletionTimestamp: ago(90) }), { Deleting: 'for 90s (the finalizer runs)' }],
    ['a suspended Gaim', gaim(SYNCED, { suspend: true }), { Suspended: 'spec.suspend is true: the operator changes nothing' }],
  ])('%s', (_name, object, expected) => {
    const lines = render(object);
    expect(lines[0]).toBe('Name:          tenant-a/marvin');
    expect(fieldOf(lines, 'Environments')).toBe('stage, prod (tier small)');
    for (const [label, value] of Object.entries(expected)) expect(fieldOf(lines, label), label).toBe(value);
  });
});

describe('renderStatus: conditions and stores', () => {
  it('lists each condition with status, reason and age, in the documented order, others after', () => {
    expect(rowsOf(render(gaim(SYNCED)), 'Conditions')).toEqual([
      ['TYPE', 'STATUS', 'REASON', 'AGE', 'MESSAGE'],
      ['Ready', 'True', 'Synced', '3m20s', 'all stores ready and seeded'],
      ['MongoDBReady', 'True', 'Ready', '4m20s', '1/1 pods ready'],
      ['QueuesHealthy', 'True', 'Healthy', '30s', 'every group consumes'],
    ]);
  });

  it('shows each store\'s endpoint, and each claim\'s requested and actual size', () => {
    const lines = render(gaim(SYNCED));
    expect(rowsOf(lines, 'Stores')).toEqual([
      ['STORE', 'ENDPOINT'],
      ['mongodb', 'marvin-mongodb.tenant-a.svc.cluster.local:27017'],
      ['redis', 'marvin-redis.tenant-a.svc.cluster.local:6379'],
      ['lancedb', 'claim marvin-lancedb, mounted at /data'],
    ]);
    expect(rowsOf(lines, 'Claims')).toEqual([
      ['CLAIM', 'STORE', 'REQUESTED', 'CAPACITY'],
      ['data-marvin-mongodb-0', 'mongodb', '10Gi', '10Gi'],
      ['data-marvin-redis-0', 'redis', '4Gi', '2Gi'],
      ['marvin-lancedb', 'lancedb', '100Gi', '100Gi'],
    ]);
  });

  it('says which stores are disabled and what the operator has not reported yet', () => {
    const lines = render(gaim({ syncStatus: 'Progressing', endpoints: { mongodb: 'm:27017' } }, { redis: { enabled: false } }));
    expect(rowsOf(lines, 'Stores').slice(1)).toEqual([['mongodb', 'm:27017'], ['redis', 'disabled'], ['lancedb', 'not reported yet']]);
    expect(fieldOf(lines, 'Claims')).toBe('none reported yet');
  });

  it.each([[undefined, 'none reported yet'], [[], 'none reported yet']])('says when there are no conditions (%j)', (conditions, text) => {
    expect(fieldOf(render(gaim({ syncStatus: 'Progressing', conditions })), 'Conditions')).toBe(text);
  });
});

describe('renderStatus: queues', () => {
  const HEADER = ['ENV', 'LENGTH', 'LAG', 'PENDING', 'OLDEST PENDING', 'MAX DELIVERIES', 'CONSUMERS', 'IDLE', 'DLQ'];
  const sampled = (env: string, more: Record<string, unknown> = {}) => ({
    env, length: 120, lag: 15, pending: 3, oldestPendingSeconds: 125, maxDeliveries: 2, consumers: 4, consumersIdle: 1, dlqLength: 7, sampledAt: ago(12), ...more,
  });

  it.each<[string, Record<string, unknown>, string, string[][]]>([
    ['not sampled yet (no status.queues: an operator without the prober, or before its first sample)', {}, 'not sampled yet', []],
    ['not sampled yet, under the verdict the operator wrote', { conditions: [condition('QueuesHealthy', 'Unknown', 'Unknown', 'redis not ready', 5)] },
      'not sampled yet; QueuesHealthy Unknown (Unknown)', []],
    ['figures per environment, one not sampled yet', { queues: [sampled('stage')] }, 'figures as of 12s ago', [
      [...HEADER],
      ['stage', '120', '15', '3', '2m5s', '2', '4', '1', '7'],
      ['prod', 'not sampled yet'],
    ]],
    ['a lag Redis cannot tell, nothing pending, figures unchanged for a while, under the QueuesHealthy verdict', {
      queues: [sampled('stage', { lag: undefined, pending: 0, oldestPendingSeconds: 0, sampledAt: ago(4000) }), sampled('prod')],
      conditions: [condition('QueuesHealthy', 'False', 'ConsumersStalled', '4 of 4 consumers idle', 60)],
    }, 'QueuesHealthy False (ConsumersStalled); figures as of 66m ago', [
      [...HEADER],
      ['stage', '120', 'unknown', '0', '-', '2', '4', '1', '7'],
      ['prod', '120', '15', '3', '2m5s', '2', '4', '1', '7'],
    ]],
    ['a malformed entry reads as unknown figures, not a crash', { queues: [{ env: 'stage', length: 'many', sampledAt: 'soon' }, 42] }, 'sampled at an unknown time', [
      [...HEADER],
      ['stage', '?', 'unknown', '?', '-', '?', '?', '?', '?'],
      ['prod', 'not sampled yet'],
    ]],
  ])('%s', (_name, status, summary, rows) => {
    const lines = render(gaim({ ...SYNCED, conditions: [], ...status }));
    expect(fieldOf(lines, 'Queues')).toBe(summary);
    expect(rowsOf(lines, 'Queues')).toEqual(rows);
  });
});

describe('renderStatus: backup, Firestore and events', () => {
  it.each<[string, Record<string, unknown>, Record<string, unknown>, string]>([
    ['none yet, no schedule', {}, {}, 'none completed yet'],
    ['the last one and the schedule\'s verdict', { lastBackup: { name: 'marvin-20250601-0300', completedAt: ago(9 * 3600) }, conditions: [condition('BackedUp', 'True', 'BackedUp', '', 60)] },
      { backup: { schedule: '0 3 * * *' } }, 'marvin-20250601-0300, completed 9h ago; schedule "0 3 * * *"; BackedUp True (BackedUp)'],
    ['a suspended schedule', {}, { backup: { schedule: '@daily', suspend: true } }, 'none completed yet; schedule "@daily" (suspended)'],
  ])('backup: %s', (_name, status, spec, text) => {
    expect(fieldOf(render(gaim({ ...SYNCED, conditions: [], ...status }, spec)), 'Backup')).toBe(text);
  });

  it.each<[string, FirestorePanel, string, string[][]]>([
    ['entries of this and another cluster', {
      source: 'project lco', entries: { state: 'found', path: `gaims/${ID}`, entries: {
        prod: { syncStatus: 'failed', errorType: 'redis', retryCount: 2, updatedAt: ago(70), cluster: 'prod-eu' },
        local: { syncStatus: 'synced', errorType: null, retryCount: 0, updatedAt: ago(7200), cluster: 'laptop' },
      } },
    }, `gaims/${ID} (project lco)`, [
      ['ENV', 'SYNC STATUS', 'ERROR TYPE', 'RETRIES', 'UPDATED', 'CLUSTER'],
      ['stage', 'no entry'],
      ['prod', 'failed', 'redis', '2', '70s ago', 'prod-eu'],
      ['local', 'synced', '-', '0', '120m ago', 'laptop'],
    ]],
    ['no document', { source: 'emulator h:1', entries: { state: 'missing', path: `gaims/${ID}` } }, `gaims/${ID} does not exist (emulator h:1)`, []],
    ['unreachable', { source: 'emulator 127.0.0.1:1', entries: { state: 'unavailable', path: `gaims/${ID}`, reason: 'no answer within 3s' } },
      'not reachable (emulator 127.0.0.1:1): no answer within 3s', []],
    ['no credentials', { source: 'the credentials\' project', entries: { state: 'unavailable', path: `gaims/${ID}`, reason: 'Could not load the default credentials' } },
      'not reachable (the credentials\' project): Could not load the default credentials', []],
    ['refused', { source: 'project lco', entries: { state: 'refused', path: `gaims/${ID}`, reason: '7 PERMISSION_DENIED: Missing or insufficient permissions.' } },
      `cannot read gaims/${ID} (project lco): 7 PERMISSION_DENIED: Missing or insufficient permissions.`, []],
    ['not asked', { skipped: 'the Gaim has no spec.gaimId' }, 'not read: the Gaim has no spec.gaimId', []],
  ])('firestore: %s', (_name, panel, summary, rows) => {
    const lines = render(gaim(SYNCED), { firestore: panel });
    expect(fieldOf(lines, 'Firestore')).toBe(summary);
    expect(rowsOf(lines, 'Firestore')).toEqual(rows);
  });

  it('lists the events given, newest first as given, with repeats counted', () => {
    const events: GaimEvent[] = [
      { type: 'Warning', reason: 'BackupFailed', note: 'GaimBackup marvin-x failed: cannot snapshot claim marvin-lancedb', count: 3, at: ago(65) },
      { type: 'Normal', reason: 'Synced', note: 'all stores ready and seeded', count: 1, at: ago(3600) },
    ];
    const lines = render(gaim(SYNCED), { events });
    expect(fieldOf(lines, 'Events')).toBe('newest first');
    expect(rowsOf(lines, 'Events')).toEqual([
      ['LAST SEEN', 'TYPE', 'REASON', 'NOTE'],
      ['65s (x3)', 'Warning', 'BackupFailed', 'GaimBackup marvin-x failed: cannot snapshot claim marvin-lancedb'],
      ['60m', 'Normal', 'Synced', 'all stores ready and seeded'],
    ]);
  });

  it.each<[StatusInput['events'], string]>([[[], 'none'], [{ error: 'cannot list events: Forbidden' }, 'cannot list events: Forbidden']])('events: %j', (events, text) => {
    expect(fieldOf(render(gaim(SYNCED), { events }), 'Events')).toBe(text);
  });
});

describe('renderStatus: as a whole', () => {
  it('fits 100 columns for a Gaim of ordinary names, cutting only free text', () => {
    const long = 'x '.repeat(200);
    const lines = render(gaim({
      ...SYNCED, message: long,
      conditions: [condition('Ready', 'False', 'StorageFailed', long, 5)],
      queues: [{ env: 'stage', length: 123456, lag: 123456, pending: 12345, oldestPendingSeconds: 86400, maxDeliveries: 999, consumers: 64, consumersIdle: 64, dlqLength: 123456, sampledAt: ago(1) }],
      lastBackup: { name: 'marvin-20250601-0300', completedAt: ago(60) },
    }, { backup: { schedule: '0 3 * * *' } }), { events: [{ type: 'Warning', reason: 'StartupBudgetExceeded', note: long, count: 99, at: ago(30) }] });
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(100);
    expect(render(gaim(SYNCED), { width: 60 }).filter((l) => l.startsWith('  Ready')).every((l) => l.length <= 60)).toBe(true);
  });

  it('shows whatever a malformed object holds, and never throws', () => {
    for (const object of [{}, { metadata: 5, spec: 'x', status: [] }, gaim({ conditions: 'all', claims: [null, { name: 'c' }], endpoints: 3, lastBackup: { completedAt: 1 } })]) {
      expect(() => render(object as KubeObject)).not.toThrow();
    }
    expect(render({})[0]).toBe('Name:          ?/?');
  });
});

describe('hibernationLine', () => {
  const view = (status: Record<string, unknown>, hibernation?: Record<string, unknown>) => gaimView(gaim({ ...SYNCED, ...status }, hibernation === undefined ? {} : { hibernation }));
  it.each<[string, ReturnType<typeof view>, string | undefined]>([
    ['nothing for a Gaim that does not hibernate', view({}), undefined],
    ['asleep by On, since when, and how to wake it', view({ hibernatedAt: ago(7200), conditions: [condition('Hibernated', 'True', 'Hibernated', 'm', 7200)] }, { mode: 'On' }),
      `asleep for 120m (since ${ago(7200)}, mode On); set spec.hibernation.mode to Off to wake it`],
    ['asleep by Auto', view({ hibernatedAt: ago(60), conditions: [condition('Hibernated', 'True', 'Hibernated', 'm', 60)] }, { mode: 'Auto' }),
      `asleep for 60s (since ${ago(60)}, mode Auto); kubectl gaim wake wakes it`],
    ['Auto, awake, with its idle clock', view({ idleSince: ago(1800) }, { mode: 'Auto', idleAfter: '1h' }), `awake (mode Auto, idleAfter 1h): idle for 30m (since ${ago(1800)})`],
    ['Auto, awake, queues in use', view({}, { mode: 'Auto' }), 'awake (mode Auto, idleAfter 24h): the queues are in use'],
    ['On, held', view({ conditions: [condition('Hibernated', 'False', 'HibernationHeld', 'hibernation waits: backup b1 is under way', 5)] }, { mode: 'On' }),
      'awake, held: hibernation waits: backup b1 is under way (mode On)'],
  ])('%s', (_name, g, expected) => {
    expect(hibernationLine(g, NOW)).toBe(expected);
  });
});
