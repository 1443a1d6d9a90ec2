// Volumes only grow, in place: a larger size in the spec raises the existing claim's request (the
// StatefulSet's claim template is immutable and stays as it was); the CSI resizer and the kubelet do
// the rest, and say how far they got in the claim's status. Pure: what a claim's status means, and
// what a spec asks of a claim.
import { parseQuantity } from './quantity.js';

/** The parts of a PersistentVolumeClaim that tell its size and resize progress. */
export interface ClaimSizeView {
  readonly request: string | undefined;
  readonly capacity: string | undefined;
  readonly conditions: readonly { readonly type: string; readonly status?: string; readonly message?: string }[];
  /** status.allocatedResourceStatuses.storage (Kubernetes 1.34: ControllerResizeInProgress, NodeResizePending, …). */
  readonly resizeStatus: string | undefined;
}

export type ResizeProgress =
  | { readonly state: 'steady' }
  /** The resizer is expanding the volume (or has not picked the request up yet). */
  | { readonly state: 'Resizing'; readonly message: string }
  /** The volume has grown; the file system grows when the kubelet next expands it on its node. */
  | { readonly state: 'FileSystemResizePending'; readonly message: string }
  /** The resizer or the kubelet refused or failed: the request stays above the capacity. */
  | { readonly state: 'ResizeFailed'; readonly message: string };

const bytes = (quantity: string | undefined) => (quantity === undefined ? undefined : parseQuantity(quantity));

/** How far a claim is from its request, from the conditions and statuses its resizer and kubelet set. */
export function resizeProgress(name: string, claim: ClaimSizeView): ResizeProgress {
  const [request, capacity] = [bytes(claim.request), bytes(claim.capacity)];
  if (request === undefined || capacity === undefined || capacity >= request) return { state: 'steady' };
  const target = `claim ${name}: capacity ${claim.capacity ?? '?'}, requested ${claim.request ?? '?'}`;
  const condition = (type: string) => claim.conditions.find((c) => c.type === type && c.status !== 'False');
  const failed = condition('ControllerResizeError') ?? condition('NodeResizeError');
  if (failed !== undefined || claim.resizeStatus?.endsWith('Infeasible') === true) {
    return { state: 'ResizeFailed', message: `${target}; the resize failed: ${failed?.message ?? claim.resizeStatus ?? ''}`.trim() };
  }
  if (condition('FileSystemResizePending') !== undefined || claim.resizeStatus === 'NodeResizePending' || claim.resizeStatus === 'NodeResizeInProgress') {
    return { state: 'FileSystemResizePending', message: `${target}; the volume has grown, its file system grows on the node` };
  }
  return { state: 'Resizing', message: `${target}; the volume is being expanded (the store keeps serving)` };
}

export type Growth =
  | { readonly action: 'none' }
  | { readonly action: 'grow'; readonly from: string; readonly to: string }
  /** An explicit size below what the claim has: volumes only grow. */
  | { readonly action: 'refuse'; readonly from: string; readonly to: string };

/**
 * What a spec asks of an existing claim. `explicit`: the size is the spec's own (a tier's default
 * that is smaller — after a tier change — is not a request to shrink, and keeps the claim as it is).
 */
export function claimGrowth(currentRequest: string | undefined, wanted: string, explicit: boolean): Growth {
  if (currentRequest === undefined) return { action: 'none' };
  const [current, target] = [parseQuantity(currentRequest), parseQuantity(wanted)];
  if (current === undefined || target === undefined || current === target) return { action: 'none' };
  if (target > current) return { action: 'grow', from: currentRequest, to: wanted };
  return explicit ? { action: 'refuse', from: currentRequest, to: wanted } : { action: 'none' };
}
