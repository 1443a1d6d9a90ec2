// `kubectl gaim retry` and `kubectl gaim wake`: the plugin's writes to a Gaim. A merge patch of one
// annotation, so they need only `patch` on gaims, never take over fields another manager owns, and
// work on any Gaim version.
import { errorMessage } from '../errors.js';
import type { KubeClient } from '../kube/client.js';
import { isNotFound } from '../kube/errors.js';
import { Resources } from '../kube/resources.js';
import { WAKE_ANNOTATION as WAKE } from '../api/v1alpha1/gaim.js';
import { RETRY_NOW } from '../status/retry-ledger.js';
import type { Target } from './cli.js';
import type { PluginIo } from './io.js';
import { GaimNotFoundError } from './status-command.js';

/** Sets the retry-now annotation to the current time (a new value each run: the operator acts on each value once). */
export async function retryCommand(target: Target, client: KubeClient, namespace: string, io: PluginIo, now: Date = new Date()): Promise<number> {
  const value = await annotate(target, client, namespace, RETRY_NOW, io, now);
  io.out(`The operator retries it now; status.retryNowHandled reads ${value} once it has.`);
  return 0;
}

/** Sets the wake annotation to the current time: a Gaim hibernated by mode Auto wakes. */
export async function wakeCommand(target: Target, client: KubeClient, namespace: string, io: PluginIo, now: Date = new Date()): Promise<number> {
  const value = await annotate(target, client, namespace, WAKE, io, now);
  io.out(`A Gaim hibernated by spec.hibernation.mode Auto wakes now (status.wakeHandled reads ${value} once seen); one with mode On stays asleep until the mode is Off.`);
  return 0;
}

async function annotate(target: Target, client: KubeClient, namespace: string, annotation: string, io: PluginIo, now: Date): Promise<string> {
  const value = now.toISOString();
  try {
    await client.mergePatch(Resources.gaim, target.name, namespace, { metadata: { annotations: { [annotation]: value } } }, io.signal);
  } catch (error: unknown) {
    if (isNotFound(error)) throw new GaimNotFoundError(namespace, target.name);
    throw new Error(`cannot annotate Gaim ${namespace}/${target.name}: ${errorMessage(error)}`, { cause: error });
  }
  io.out(`Gaim ${namespace}/${target.name} annotated ${annotation}=${value}`);
  return value;
}
