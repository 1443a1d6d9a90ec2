// The LanceDB seed is a Job (the operator's own image: `prepare-share` as an init container, then
// `seed-storage`, with the claim mounted). It is created as soon as the claim exists — under
// WaitForFirstConsumer the claim binds only once this Job's pod is scheduled — and a failed Job is
// retried by a new one (the next attempt) at the ledger's nextRetryAt, or at once on retry-now.
import type { Gaim } from '../../api/v1alpha1/gaim.js';
import type { SeedJobSettings } from '../../config/settings.js';
import type { Caches } from '../../controller/caches.js';
import type { ReconcileContext } from '../../controller/result.js';
import { OperatorError, wrap } from '../../errors.js';
import type { KubeClient } from '../../kube/client.js';
import { latestEvent } from '../../kube/event-reader.js';
import { Labels } from '../../kube/labels.js';
import type { KubeObject } from '../../kube/objects.js';
import { Resources } from '../../kube/resources.js';
import { Message } from '../../messages.js';
import { SEED_ATTEMPT_LABEL, SEED_HASH_LABEL, seedJobName, seedStorageJob } from '../../resources/seed-job.js';
import { SeedExit } from '../../resources/seed-storage-args.js';
import { deleteObject } from '../gaim/apply.js';
import type { SeedSlots } from './seed-slots.js';

export interface SeedJobDeps {
  readonly caches: Caches;
  readonly client: KubeClient;
  readonly fieldManager: string;
  readonly seedJob: SeedJobSettings;
  /** Seed Jobs in flight cluster-wide (GAIM_MAX_CONCURRENT_SEEDS); without it, no limit. */
  readonly seedSlots?: SeedSlots;
}

/** Set on a failed Job once its failure was reported: the next reconcile past the backoff retries. */
export const FAILURE_REPORTED = 'gaim.livingcontent.io/failure-reported';

interface JobLike extends KubeObject {
  status?: { active?: number; conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}
interface Terminated { readonly exitCode?: number; readonly message?: string }
interface PodLike extends KubeObject {
  status?: {
    initContainerStatuses?: { name: string; state?: { terminated?: Terminated } }[];
    containerStatuses?: { name: string; state?: { terminated?: Terminated } }[];
  };
}

export type SeedJobProgress =
  | { readonly state: 'done' }
  /**
   * Still running (or waiting for its pod); `detail` says why when Kubernetes said so; `retry` when
   * it is an attempt after a failed one (the retry is under way: not a success yet); `queued` when
   * the Job is not created yet for want of a seed slot.
   */
  | { readonly state: 'running'; readonly detail?: string; readonly retry?: boolean; readonly queued?: boolean };

const attemptOf = (job: KubeObject) => Number(job.metadata?.labels?.[SEED_ATTEMPT_LABEL] ?? '1') || 1;
const condition = (job: JobLike, type: string) => job.status?.conditions?.find((c) => c.type === type && c.status === 'True');

/** The seed Jobs of this Gaim for this fingerprint, oldest attempt first (from the cache). */
function attempts(gaim: Gaim, fingerprint: string, caches: Caches): JobLike[] {
  return caches.list<JobLike>(Resources.job, gaim.metadata.namespace)
    .filter((job) => job.metadata?.labels?.[Labels.gaim] === gaim.metadata.name && job.metadata.labels[SEED_HASH_LABEL] === fingerprint)
    .sort((a, b) => attemptOf(a) - attemptOf(b));
}

/**
 * Drives the seed Job of this fingerprint one step: creates the first attempt; once an attempt
 * failed, reports it (a `storage` error, classified by the pod's exit code) and, on the next
 * reconcile — which the ledger holds off until nextRetryAt, unless retry-now or the spec changed —
 * starts the next attempt. The newest failed attempt is kept for inspection until a later one
 * succeeds; older failed ones are removed.
 */
export async function runSeedJob(gaim: Gaim, fingerprint: string, deps: SeedJobDeps, context: ReconcileContext): Promise<SeedJobProgress> {
  const jobs = attempts(gaim, fingerprint, deps.caches);
  const latest = jobs.at(-1);
  if (latest === undefined) return start(gaim, fingerprint, 1, deps, context);

  if (condition(latest, 'Complete') !== undefined) {
    await removeAll(jobs.slice(0, -1), deps, context);
    return { state: 'done' };
  }
  if (condition(latest, 'Failed') === undefined) {
    return { state: 'running', ...(attemptOf(latest) > 1 ? { retry: true } : {}), ...(await whyWaiting(latest, deps.client, context.signal)) };
  }

  if (latest.metadata?.annotations?.[FAILURE_REPORTED] === undefined) {
    const failure = await classifyFailure(latest, deps.client, context.signal);
    await deps.client.mergePatch(Resources.job, latest.metadata?.name ?? '', gaim.metadata.namespace,
      { metadata: { annotations: { [FAILURE_REPORTED]: new Date().toISOString() } } }, context.signal);
    throw failure;
  }
  // Reported before, and the ledger let this reconcile through: the next attempt, at once.
  await removeAll(jobs.slice(0, -1), deps, context);
  return start(gaim, fingerprint, attemptOf(latest) + 1, deps, context);
}

async function start(gaim: Gaim, fingerprint: string, attempt: number, deps: SeedJobDeps, context: ReconcileContext): Promise<SeedJobProgress> {
  const job = `${gaim.metadata.namespace}/${seedJobName(gaim, fingerprint, attempt)}`;
  const slot = deps.seedSlots?.tryAcquire(`${gaim.metadata.namespace}/${gaim.metadata.name}`, job);
  if (slot !== undefined && !slot.granted) {
    return { state: 'running', queued: true, detail: Message.seedSlotWaits(slot.inFlight, deps.seedSlots?.max ?? 0), ...(attempt > 1 ? { retry: true } : {}) };
  }
  const desired = seedStorageJob(gaim, fingerprint, attempt, deps.seedJob);
  try {
    await deps.client.apply(Resources.job, desired, { fieldManager: deps.fieldManager, signal: context.signal });
  } catch (error: unknown) {
    deps.seedSlots?.release(job);
    throw wrap(error, Message.applyObject('Job', desired.metadata?.name ?? ''), { reason: 'ApplyFailed' });
  }
  context.log.info({ job: desired.metadata?.name, attempt }, 'started the seed-storage job');
  return { state: 'running', ...(attempt > 1 ? { retry: true } : {}) };
}

async function removeAll(jobs: readonly KubeObject[], deps: SeedJobDeps, context: ReconcileContext): Promise<void> {
  for (const job of jobs) {
    await deleteObject(Resources.job, job.metadata?.name ?? '', job.metadata?.namespace, deps.client, context.signal);
    context.log.info({ job: job.metadata?.name }, 'removed an earlier failed seed-storage job');
  }
}

/**
 * Why a running Job has not finished: Kubernetes' last warning about it (a pod the namespace's Pod
 * Security level refuses shows here as FailedCreate), when it has no pod running.
 */
async function whyWaiting(job: JobLike, client: KubeClient, signal: AbortSignal): Promise<{ detail?: string }> {
  if ((job.status?.active ?? 0) > 0) return {};
  const event = await latestEvent(client, { kind: 'Job', name: job.metadata?.name ?? '', namespace: job.metadata?.namespace ?? '' }, signal).catch(() => undefined);
  return event?.type === 'Warning' ? { detail: `job ${job.metadata?.name ?? ''}: ${event.reason}: ${event.note}` } : {};
}

/** What the failed attempt's pod said: its exit code names the kind of failure, its termination message the detail. */
async function classifyFailure(job: JobLike, client: KubeClient, signal: AbortSignal): Promise<OperatorError> {
  const name = job.metadata?.name ?? '';
  const failed = condition(job, 'Failed');
  let pods;
  try {
    pods = await client.list<PodLike>(Resources.pod, { namespace: job.metadata?.namespace ?? '', labelSelector: `job-name=${name}`, signal });
  } catch (error: unknown) {
    throw wrap(error, Message.listPods(name));
  }
  for (const pod of pods.items.reverse()) {
    const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
    const stopped = statuses.find((s) => s.state?.terminated !== undefined && s.state.terminated.exitCode !== 0);
    const terminated = stopped?.state?.terminated;
    if (stopped === undefined || terminated === undefined) continue;
    const detail = (terminated.message ?? '').trim() || `exit code ${String(terminated.exitCode)}`;
    return new OperatorError('storage', `${Message.seedStorage(name)} in ${stopped.name}: ${detail}`, { reason: reasonOf(stopped.name, terminated.exitCode) });
  }
  // No pod said anything: the Job itself failed (its deadline, a pod that could not be created).
  const timedOut = failed?.reason === 'DeadlineExceeded';
  return new OperatorError(timedOut ? 'timeout' : 'storage', `${Message.seedStorage(name)}: ${failed?.message ?? failed?.reason ?? 'no reason given'}`,
    { reason: timedOut ? 'SeedJobDeadlineExceeded' : 'StorageFailed' });
}

function reasonOf(container: string, exitCode: number | undefined): string {
  switch (exitCode) {
    case SeedExit.permission: return 'SharePermissionDenied';
    case SeedExit.schema: return 'TableSchemaMismatch';
    case SeedExit.filesystem: return 'FilesystemUnsupported';
    case SeedExit.deadline: return 'SeedJobDeadlineExceeded';
    default: return container === 'prepare-share' ? 'SharePreparationFailed' : 'StorageFailed';
  }
}
