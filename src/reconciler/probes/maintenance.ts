// spec.lancedb.maintenance: a maintenance Job per schedule slot (the latest slot only, once; a slot
// that comes while another maintenance Job of the Gaim runs waits until it ends, so two never run at
// once), and what the last one did — its termination message, read once per Job — into
// status.maintenance and the gaim_lancedb_table_* metrics.
import type { Gaim, GaimStatus } from '../../api/v1alpha1/gaim.js';
import type { Settings } from '../../config/settings.js';
import { nextSlot, previousSlot } from '../../cron.js';
import type { Caches } from '../../controller/caches.js';
import type { ReconcileContext } from '../../controller/result.js';
import { wrap } from '../../errors.js';
import type { KubeClient } from '../../kube/client.js';
import { isConflict } from '../../kube/errors.js';
import { Labels } from '../../kube/labels.js';
import type { KubeObject } from '../../kube/objects.js';
import { Resources } from '../../kube/resources.js';
import { Message } from '../../messages.js';
import { compareText } from '../../text-order.js';
import type { Metrics } from '../../observability/metrics.js';
import type { MaintenanceSummary } from '../../resources/maintenance-report.js';
import { durationMs } from '../../resources/queue-health.js';
import { maintenanceJob } from '../../resources/seed-job.js';

export interface MaintenanceDeps {
  readonly caches: Caches;
  readonly client: KubeClient;
  readonly metrics: Pick<Metrics, 'tableRows' | 'tableVersions' | 'tableFragments' | 'tableBytes'>;
  readonly settings: Pick<Settings, 'seedJob'>;
}

export type MaintenanceStatus = NonNullable<GaimStatus['maintenance']>;

interface JobView extends KubeObject {
  status?: { active?: number; completionTime?: string; conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[] };
}
interface PodView extends KubeObject {
  status?: { containerStatuses?: { name: string; state?: { terminated?: { exitCode?: number; message?: string; finishedAt?: string } } }[] };
}

const MAX_WAIT_MS = 3_600_000;
const ended = (job: JobView) => job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');

/** One step of maintenance; undefined status keeps the previous. */
export async function tendMaintenance(gaim: Gaim, storageReady: boolean, deps: MaintenanceDeps, context: ReconcileContext, now = new Date()): Promise<{ status?: MaintenanceStatus; recheckAfterMs?: number }> {
  const policy = gaim.spec.lancedb.maintenance;
  const previous = gaim.status?.maintenance;
  if (policy === undefined) return previous === undefined ? {} : { status: { ...(previous.lastRun === undefined ? {} : { lastRun: previous.lastRun }), ...(previous.tables === undefined ? {} : { tables: previous.tables }) } };
  const jobs = deps.caches.list<JobView>(Resources.job, gaim.metadata.namespace)
    .filter((j) => j.metadata?.labels?.[Labels.gaim] === gaim.metadata.name && j.metadata.labels[Labels.component] === 'maintenance');
  let status: MaintenanceStatus = { ...previous };

  // The newest Job that ended and is not reported yet: its figures.
  const done = jobs.filter((j) => ended(j) !== undefined).sort((a, b) => compareText(a.metadata?.creationTimestamp ?? '', b.metadata?.creationTimestamp ?? '')).at(-1);
  if (done !== undefined && done.metadata?.name !== previous?.lastRun?.job) status = { ...status, ...(await reportRun(gaim, done, deps, context)) };

  const slot = previousSlot(policy.schedule, now);
  const running = jobs.some((j) => ended(j) === undefined);
  const last = previous?.lastScheduleTime;
  if (slot !== undefined && last === undefined) {
    status = { ...status, lastScheduleTime: iso(slot) }; // a new schedule starts with its next slot
  } else if (slot !== undefined && last !== undefined && slot.getTime() > Date.parse(last) && !running && storageReady) {
    await createJob(maintenanceJob(gaim, slot, Math.floor((durationMs(policy.cleanupOlderThan) ?? 0) / 1000), deps.settings.seedJob), deps.client, context);
    status = { ...status, lastScheduleTime: iso(slot) };
  }
  const next = nextSlot(policy.schedule, now);
  // A slot that waits for a running Job, or a Job that runs: look again soon (a Job's end also wakes the Gaim).
  const recheck = Math.min(next === undefined ? MAX_WAIT_MS : next.getTime() - now.getTime() + 500, running ? 15_000 : MAX_WAIT_MS);
  return { status, recheckAfterMs: Math.min(MAX_WAIT_MS, recheck) };
}

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

async function createJob(job: KubeObject, client: KubeClient, context: ReconcileContext): Promise<void> {
  try {
    await client.create(Resources.job, job, context.signal);
    context.log.info({ job: job.metadata?.name }, 'started lancedb maintenance');
  } catch (error: unknown) {
    if (isConflict(error)) return; // this slot's Job exists already
    throw wrap(error, Message.applyObject('Job', job.metadata?.name ?? ''));
  }
}

/** The Job's outcome, from its pod's termination message (the summary maintain-storage writes). */
async function reportRun(gaim: Gaim, job: JobView, deps: MaintenanceDeps, context: ReconcileContext): Promise<Partial<MaintenanceStatus>> {
  const name = job.metadata?.name ?? '';
  const end = ended(job);
  const completedAt = job.status?.completionTime ?? end?.lastTransitionTime ?? new Date().toISOString();
  const pods = await deps.client.list<PodView>(Resources.pod, { namespace: gaim.metadata.namespace, labelSelector: `job-name=${name}`, signal: context.signal })
    .catch((error: unknown) => { throw wrap(error, Message.listPods(name)); });
  const terminated = pods.items.flatMap((p) => p.status?.containerStatuses ?? []).find((c) => c.name === 'maintain-storage')?.state?.terminated;
  const succeeded = end?.type === 'Complete' && (terminated?.exitCode ?? 0) === 0;
  const lastRun = { job: name, completedAt: completedAt.replace(/\.\d{3}Z$/, 'Z'), succeeded, ...(succeeded ? {} : { message: (terminated?.message ?? end?.message ?? 'no reason given').slice(0, 4000) }) };
  if (!succeeded) return { lastRun };
  let summary: MaintenanceSummary;
  try {
    summary = JSON.parse(terminated?.message ?? '') as MaintenanceSummary;
  } catch {
    return { lastRun: { ...lastRun, succeeded: false, message: `its termination message is not a maintenance summary: ${(terminated?.message ?? '').slice(0, 200)}` } };
  }
  const tables = Object.entries(summary.tables).map(([table, f]) => ({
    table, rows: f.rows[1], versions: f.versions[1], fragments: f.fragments[1], bytes: f.bytes[1], versionsBefore: f.versions[0], fragmentsBefore: f.fragments[0],
  }));
  for (const t of tables) {
    const labels = { namespace: gaim.metadata.namespace, gaim: gaim.metadata.name, table: t.table };
    deps.metrics.tableRows.set(labels, t.rows);
    deps.metrics.tableVersions.set(labels, t.versions);
    deps.metrics.tableFragments.set(labels, t.fragments);
    deps.metrics.tableBytes.set(labels, t.bytes);
  }
  context.log.info({ job: name, tables: tables.length }, 'lancedb maintenance ended');
  return { lastRun, tables };
}
