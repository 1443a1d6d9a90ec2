// Step 2 of the reconcile: what should exist, as a pure function of the spec, the tier's sizes and
// what was observed. No I/O; unit-tested with tables of cases.
import type { Gaim } from '../api/v1alpha1/gaim.js';
import { OperatorError } from '../errors.js';
import type { KubeObject } from '../kube/objects.js';
import { Message } from '../messages.js';
import { desiredObjects, desiredSecrets } from '../resources/desired.js';
import type { TierSizes } from '../resources/tiers.js';
import { Reason } from '../status/reasons.js';
import type { ObjectRef, Observed } from './observe.js';

export interface Plan {
  /** Credentials Secrets to create (missing ones only: an existing Secret is never changed). */
  readonly create: readonly KubeObject[];
  /** Objects to server-side apply, in order (volumes before their users). */
  readonly apply: readonly KubeObject[];
  /** Objects to delete: the workloads of stores switched off. */
  readonly remove: readonly ObjectRef[];
}

/**
 * Whether the Gaim may act at all: a second Gaim in a namespace, or a Gaim naming another Gaim's NFS
 * share, is refused (terminally) and touches nothing.
 */
export function admit(gaim: Gaim, observed: Observed): OperatorError | undefined {
  if (observed.namespaceOwner !== gaim.metadata.name) {
    return new OperatorError('conflict', Message.namespaceTaken(gaim.metadata.namespace, observed.namespaceOwner), { reason: Reason.NamespaceConflict });
  }
  const nfs = gaim.spec.lancedb.storage.nfs;
  if (nfs !== undefined && observed.shareOwner !== undefined) {
    return new OperatorError('conflict', Message.shareTaken(`${nfs.server}:${nfs.path}`, observed.shareOwner), { reason: Reason.ShareConflict });
  }
  return undefined;
}

export function plan(gaim: Gaim, observed: Observed, sizes: TierSizes, operatorNamespace: string): Plan {
  return {
    create: desiredSecrets(gaim).filter((secret) => !observed.secrets.has(secret.metadata?.name ?? '')),
    apply: desiredObjects(gaim, sizes, observed.sizes, operatorNamespace),
    remove: observed.disabledWorkloads,
  };
}
