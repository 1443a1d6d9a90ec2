// `kubectl gaim status`, as text: a pure function of the Gaim, its events, the Firestore entries and
// the time, so every line can be proven with a table of cases and no cluster. Sections are a label
// ("Stores:") with a summary, and a table indented under it whose columns are two spaces apart.
import { CONDITION_TYPES } from '../api/v1alpha1/gaim.js';
import type { KubeObject } from '../kube/objects.js';
import type { SyncEntries } from '../firestore/sync-entries.js';
import type { GaimEvent } from './events.js';
import { age, field, relative, table, wrap } from './format.js';
import { gaimView, type ConditionView, type GaimView } from './gaim-view.js';
import { renderQueues } from './render-queues.js';

/** What Firestore said, or why it was not asked. */
export type FirestorePanel =
  | { readonly source: string; readonly entries: SyncEntries }
  | { readonly skipped: string };

export interface StatusInput {
  readonly gaim: KubeObject;
  /** Newest first; or why they could not be listed. */
  readonly events: readonly GaimEvent[] | { readonly error: string };
  readonly firestore: FirestorePanel;
  readonly now: Date;
  /** Columns to fit (the terminal's); 100 when unknown. */
  readonly width?: number;
}

export const DEFAULT_WIDTH = 100;
/** Where values start: after the longest label, "Environments:", and two spaces. */
export const LABEL_WIDTH = 15;
/** Tables sit under their label, indented by this much. */
const INDENT = '  ';
const ERROR_TYPES_WITHOUT_RETRY: ReadonlySet<string> = new Set(['validation', 'conflict']);

/** The whole status: header, conditions, stores, queues, backup, Firestore, events. */
export function renderStatus(input: StatusInput): string[] {
  const width = input.width ?? DEFAULT_WIDTH;
  const gaim = gaimView(input.gaim);
  const conditions = gaim.status?.conditions ?? [];
  const queues = renderQueues(gaim, input.now, width - INDENT.length);
  const lines = [
    ...renderHeader(gaim, input.now, width),
    '',
    ...section('Conditions', conditions.length === 0 ? 'none reported yet' : '',
      () => table(['TYPE', 'STATUS', 'REASON', 'AGE', 'MESSAGE'], orderConditions(conditions).map((c) =>
        [c.type, c.status ?? '?', c.reason ?? '-', age(c.lastTransitionTime, input.now), c.message ?? '']), width - INDENT.length)),
    ...section('Stores', '', () => renderStores(gaim, width - INDENT.length)),
    ...section('Claims', (gaim.status?.claims ?? []).length === 0 ? 'none reported yet' : '', () => renderClaims(gaim, width - INDENT.length)),
    ...section('Queues', queues.summary, () => queues.table),
    ...section('Backup', wrap(renderBackup(gaim, input.now), width - LABEL_WIDTH), () => []),
    ...renderFirestore(gaim, input.firestore, input.now, width),
    ...renderEvents(input.events, input.now, width),
  ];
  while (lines.at(-1) === '') lines.pop();
  return lines;
}

/** "Label:  summary", then its table indented under it, then a blank line. */
function section(label: string, summary: string | readonly string[], body: () => string[]): string[] {
  return [...field(label, summary, LABEL_WIDTH), ...body().map((line) => `${INDENT}${line}`), ''];
}

function renderHeader(gaim: GaimView, now: Date, width: number): string[] {
  const { metadata, spec, status } = gaim;
  const valueWidth = width - LABEL_WIDTH;
  const ready = status?.conditions.find((c) => c.type === 'Ready');
  const lines = [
    ...field('Name', `${metadata.namespace}/${metadata.name}`, LABEL_WIDTH),
    ...field('Gaim ID', spec.gaimId ?? '?', LABEL_WIDTH),
    ...field('Environments', `${(spec.environments ?? []).join(', ') || '?'} (tier ${spec.tier ?? '?'})`, LABEL_WIDTH),
    ...field('Sync', syncLine(gaim), LABEL_WIDTH),
  ];
  if (metadata.deletionTimestamp !== undefined) lines.push(...field('Deleting', `for ${age(metadata.deletionTimestamp, now)} (the finalizer runs)`, LABEL_WIDTH));
  if (spec.suspend === true) lines.push(...field('Suspended', 'spec.suspend is true: the operator changes nothing', LABEL_WIDTH));
  const hibernation = hibernationLine(gaim, now);
  if (hibernation !== undefined) lines.push(...field('Hibernation', hibernation, LABEL_WIDTH));
  if (status === undefined) return lines;
  const errorLine = status.errorType === undefined ? 'none'
    : `${status.errorType}${ready?.status === 'False' && ready.reason !== undefined ? ` (reason ${ready.reason})` : ''}`;
  lines.push(...field('Error', errorLine, LABEL_WIDTH));
  if (status.message !== undefined && status.message !== '') lines.push(...field('Message', wrap(status.message, valueWidth), LABEL_WIDTH));
  lines.push(...field('Retries', retryLine(gaim, now), LABEL_WIDTH));
  return lines;
}

/**
 * Hibernation at a glance: asleep since when, or awake, and for Auto the idle clock (idle since when,
 * asleep at what time if nothing happens). Nothing for a Gaim that does not hibernate.
 */
export function hibernationLine({ spec, status }: GaimView, now: Date): string | undefined {
  const mode = spec.hibernation?.mode ?? 'Off';
  const condition = status?.conditions.find((c) => c.type === 'Hibernated');
  if (mode === 'Off' && status?.hibernatedAt === undefined && condition === undefined) return undefined;
  const idleAfter = spec.hibernation?.idleAfter ?? '24h';
  if (status?.hibernatedAt !== undefined) {
    const wake = mode === 'Auto' ? 'kubectl gaim wake wakes it' : mode === 'On' ? 'set spec.hibernation.mode to Off to wake it' : 'waking';
    return `${condition?.status === 'True' ? 'asleep' : 'going to sleep'} for ${age(status.hibernatedAt, now)} (since ${status.hibernatedAt}, mode ${mode}); ${wake}`;
  }
  const state = condition?.reason === 'Waking' ? 'waking' : condition?.reason === 'HibernationHeld' ? `awake, held: ${condition.message}` : 'awake';
  if (mode !== 'Auto') return `${state} (mode ${mode})`;
  if (status?.idleSince === undefined) return `${state} (mode Auto, idleAfter ${idleAfter}): the queues are in use`;
  return `${state} (mode Auto, idleAfter ${idleAfter}): idle for ${age(status.idleSince, now)} (since ${status.idleSince})`;
}

function syncLine({ metadata, status }: GaimView): string {
  if (status?.syncStatus === undefined) return 'not reported yet (the operator has not written a status)';
  const { generation } = metadata;
  const observed = status.observedGeneration;
  if (generation === undefined || observed === undefined) return status.syncStatus;
  if (observed === generation) return `${status.syncStatus} (observed generation ${observed}, current)`;
  return `${status.syncStatus} (observed generation ${observed}; the spec is at ${generation}, not acted on yet)`;
}

function retryLine({ status }: GaimView, now: Date): string {
  const count = status?.retryCount ?? 0;
  if (count === 0 && status?.nextRetryAt === undefined) return 'none';
  const parts = [String(count)];
  if (status?.lastRetryAt !== undefined) parts.push(`last ${age(status.lastRetryAt, now)} ago`);
  if (status?.nextRetryAt !== undefined) {
    const due = relative(status.nextRetryAt, now);
    parts.push(`next ${due.endsWith(' ago') ? `was due ${due}` : due} (${status.nextRetryAt})`);
  } else if (status?.errorType !== undefined && ERROR_TYPES_WITHOUT_RETRY.has(status.errorType)) {
    parts.push('no retry until the spec changes');
  }
  return parts.join('; ');
}

/** The operator's conditions in their documented order, then any others (QueuesHealthy, newer ones) as given. */
function orderConditions(conditions: readonly ConditionView[]): ConditionView[] {
  const rank = (type: string) => {
    const known = (CONDITION_TYPES as readonly string[]).indexOf(type);
    return known < 0 ? CONDITION_TYPES.length : known;
  };
  return conditions.map((c, i) => ({ c, i })).sort((a, b) => rank(a.c.type) - rank(b.c.type) || a.i - b.i).map(({ c }) => c);
}

const STORES = [
  { store: 'mongodb', enabled: (g: GaimView) => g.spec.mongodb?.enabled !== false, endpoint: (g: GaimView) => g.status?.endpoints?.mongodb },
  { store: 'redis', enabled: (g: GaimView) => g.spec.redis?.enabled !== false, endpoint: (g: GaimView) => g.status?.endpoints?.redis },
  {
    store: 'lancedb', enabled: () => true,
    endpoint: (g: GaimView) => (g.status?.endpoints?.lancedbClaim === undefined ? undefined : `claim ${g.status.endpoints.lancedbClaim}, mounted at /data`),
  },
] as const;

/** Where the apps reach each store (status.endpoints): a table of two columns, so an endpoint is never cut. */
function renderStores(gaim: GaimView, width: number): string[] {
  const rows = STORES.map(({ store, enabled, endpoint }) => [store, enabled(gaim) ? endpoint(gaim) ?? 'not reported yet' : 'disabled']);
  return table(['STORE', 'ENDPOINT'], rows, width, { cutLast: false });
}

/** Each data claim's requested and actual size (status.claims): they differ while a volume grows. */
function renderClaims(gaim: GaimView, width: number): string[] {
  const claims = gaim.status?.claims ?? [];
  if (claims.length === 0) return [];
  const order = (store: string | undefined) => STORES.findIndex((s) => s.store === store);
  const rows = [...claims].sort((a, b) => order(a.store) - order(b.store))
    .map((c) => [c.name, c.store ?? '?', c.requested ?? '?', c.capacity ?? '?']);
  return table(['CLAIM', 'STORE', 'REQUESTED', 'CAPACITY'], rows, width, { cutLast: false });
}

function renderBackup(gaim: GaimView, now: Date): string {
  const last = gaim.status?.lastBackup;
  const parts = [last === undefined ? 'none completed yet' : `${last.name}, completed ${age(last.completedAt, now)} ago`];
  const schedule = gaim.spec.backup?.schedule;
  if (schedule !== undefined) parts.push(`schedule "${schedule}"${gaim.spec.backup?.suspend === true ? ' (suspended)' : ''}`);
  const backedUp = gaim.status?.conditions.find((c) => c.type === 'BackedUp');
  if (backedUp !== undefined) parts.push(`BackedUp ${backedUp.status ?? '?'} (${backedUp.reason ?? '-'})`);
  return parts.join('; ');
}

function renderFirestore(gaim: GaimView, panel: FirestorePanel, now: Date, width: number): string[] {
  if ('skipped' in panel) return section('Firestore', wrap(`not read: ${panel.skipped}`, width - LABEL_WIDTH), () => []);
  const { entries, source } = panel;
  switch (entries.state) {
    // Wrapped, not cut: the reason is the point (it is one line for the usual ones).
    case 'unavailable':
      return section('Firestore', wrap(`not reachable (${source}): ${entries.reason}`, width - LABEL_WIDTH), () => []);
    case 'refused':
      return section('Firestore', wrap(`cannot read ${entries.path} (${source}): ${entries.reason}`, width - LABEL_WIDTH), () => []);
    case 'missing':
      return section('Firestore', `${entries.path} does not exist (${source})`, () => []);
    case 'found': {
      // This Gaim's environments first, then any another cluster's operator reported.
      const envs = [...new Set([...(gaim.spec.environments ?? []), ...Object.keys(entries.entries)])];
      const rows = envs.map((env) => {
        const entry = entries.entries[env];
        if (entry === undefined) return [env, 'no entry'];
        return [env, `${entry.syncStatus ?? '?'}${entry.hibernated === true ? ' (hibernated)' : ''}`, entry.errorType ?? '-', entry.retryCount === undefined ? '?' : String(entry.retryCount),
          entry.updatedAt === undefined ? '?' : `${age(entry.updatedAt, now)} ago`, entry.cluster ?? '?'];
      });
      return section('Firestore', `${entries.path} (${source})`, () =>
        table(['ENV', 'SYNC STATUS', 'ERROR TYPE', 'RETRIES', 'UPDATED', 'CLUSTER'], rows, width - INDENT.length, { cutLast: false }));
    }
  }
}

function renderEvents(events: StatusInput['events'], now: Date, width: number): string[] {
  if ('error' in events) return section('Events', wrap(events.error, width - LABEL_WIDTH), () => []);
  if (events.length === 0) return section('Events', 'none', () => []);
  return section('Events', 'newest first', () => table(['LAST SEEN', 'TYPE', 'REASON', 'NOTE'], events.map((e) =>
    [`${age(e.at, now)}${e.count > 1 ? ` (x${e.count})` : ''}`, e.type, e.reason, e.note]), width - INDENT.length));
}
