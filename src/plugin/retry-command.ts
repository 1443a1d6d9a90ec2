// `kubectl gaim retry`: the plugin's one write. A merge patch of one annotation, so it needs only
// `patch` on gaims, never takes over fields another manager owns, and works on any Gaim version.
import { errorMessage } from '../errors.js';
import type { KubeClient } from '../kube/client.js';
import { isNotFound } from '../kube/errors.js';
import { Resources } from '../kube/resources.js';
import { RETRY_NOW } from '../status/retry-ledger.js';
import type { Target } from './cli.js';
import type { PluginIo } from './io.js';
import { GaimNotFoundError } from './status-command.js';

/** Sets the retry-now annotation to the current time (a new value each run: the operator acts on each value once). */
export async function retryCommand(target: Target, client: KubeClient, namespace: string, io: PluginIo, now: Date = new Date()): Promise<number> {
  const value = now.toISOString();
  try {
    await client.mergePatch(Resources.gaim, target.name, namespace, { metadata: { annotations: { [RETRY_NOW]: value } } }, io.signal);
  } catch (error: unknown) {
    if (isNotFound(error)) throw new GaimNotFoundError(namespace, target.name);
    throw new Error(`cannot annotate Gaim ${namespace}/${target.name}: ${errorMessage(error)}`, { cause: error });
  }
  io.out(`Gaim ${namespace}/${target.name} annotated ${RETRY_NOW}=${value}`);
  io.out(`The operator retries it now; status.retryNowHandled reads ${value} once it has.`);
  return 0;
}
