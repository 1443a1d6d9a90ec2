// The LanceDB seed is a Job (the operator's own image, `seed-storage`, with the claim mounted):
// create it when missing, and read its outcome from the cache.
import type { Gaim } from '../api/v1alpha1/gaim.js';
import type { Settings } from '../config/settings.js';
import type { Caches } from '../controller/manager.js';
import type { ReconcileContext } from '../controller/result.js';
import { errorMessage, OperatorError } from '../errors.js';
import type { KubeClient } from '../kube/client.js';
import type { KubeObject } from '../kube/objects.js';
import { Resources } from '../kube/resources.js';
import { Message } from '../messages.js';
import { seedJobName, seedStorageJob } from '../resources/seed-job.js';

export interface SeedJobDeps {
  readonly caches: Caches;
  readonly client: KubeClient;
  readonly fieldManager: string;
  readonly seedJob: Settings['seedJob'];
}

interface JobLike extends KubeObject {
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}
type PodLike = KubeObject & { status?: { containerStatuses?: { state?: { terminated?: { message?: string; exitCode?: number } } }[] } };

/** Creates the seed Job for this fingerprint if needed; true once it completed. Throws a `storage` error when it failed. */
export async function runSeedJob(gaim: Gaim, fingerprint: string, deps: SeedJobDeps, context: ReconcileContext): Promise<boolean> {
  const name = seedJobName(gaim, fingerprint);
  const job = deps.caches.get<JobLike>(Resources.job, `${gaim.metadata.namespace}/${name}`);
  if (job === undefined) {
    const desired = seedStorageJob(gaim, fingerprint, deps.seedJob.image, deps.seedJob);
    await deps.client.apply(Resources.job, desired, { fieldManager: deps.fieldManager, signal: context.signal });
    context.log.info({ job: name }, 'started the seed-storage job');
    return false;
  }
  const condition = (type: string) => job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
  if (condition('Complete') !== undefined) return true;
  const failed = condition('Failed');
  if (failed === undefined) return false;
  const detail = await podFailure(gaim, name, deps.client, context.signal);
  throw new OperatorError('storage', `${Message.seedStorage(name)}: ${detail ?? failed.message ?? failed.reason ?? 'no reason given'}`);
}

/** The termination message of a failed seed pod: what seed-storage said went wrong. */
async function podFailure(gaim: Gaim, jobName: string, client: KubeClient, signal: AbortSignal): Promise<string | undefined> {
  let pods;
  try {
    pods = await client.list<PodLike>(Resources.pod, { namespace: gaim.metadata.namespace, labelSelector: `job-name=${jobName}`, signal });
  } catch (error: unknown) {
    throw new OperatorError('kubernetes', `${Message.listPods(jobName)}: ${errorMessage(error)}`, { cause: error });
  }
  for (const pod of pods.items.reverse()) {
    const terminated = pod.status?.containerStatuses?.[0]?.state?.terminated;
    if (terminated?.message !== undefined && terminated.message !== '') return terminated.message.trim();
  }
  return undefined;
}
