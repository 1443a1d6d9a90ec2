import type { KubeClient } from '../kube/client.js';
import type { KubeObject } from '../kube/objects.js';
import { Resources } from '../kube/resources.js';

export const FINALIZER = 'gaim.livingcontent.io/cleanup';

export const hasFinalizer = (gaim: KubeObject): boolean => gaim.metadata?.finalizers?.includes(FINALIZER) ?? false;

/**
 * Adds or removes the operator's finalizer with server-side apply: the operator's field manager owns
 * exactly that entry of the list, so other finalizers are never touched.
 */
export function applyFinalizer(client: KubeClient, gaim: KubeObject, present: boolean, fieldManager: string, signal: AbortSignal): Promise<KubeObject> {
  return client.apply(Resources.gaim, {
    apiVersion: gaim.apiVersion,
    kind: gaim.kind,
    metadata: { name: gaim.metadata?.name, namespace: gaim.metadata?.namespace, finalizers: present ? [FINALIZER] : [] },
  }, { fieldManager, signal });
}
