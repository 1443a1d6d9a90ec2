// Volumes only grow, in place: a larger size in the spec raises the existing claim's request (the
// StatefulSet's claim template is immutable and stays as it was); the CSI resizer and the kubelet do
// the rest, and say how far they got in the claim's status. An expansion the driver refuses can be
// backed out (Kubernetes 1.34, "Recovering from Failure when Expanding Volumes", GA): the request
// may go back down, but only to a size above the claim's capacity — the API server refuses one at or
// below it. Pure: what a claim's status means, and what a spec asks of a claim.
import { parseQuantity } from './quantity.js';

/** The parts of a PersistentVolumeClaim that tell its size and resize progress. */
export interface ClaimSizeView {
  readonly request: string | undefined;
  readonly capacity: string | undefined;
  readonly conditions: readonly { readonly type: string; readonly status?: string; readonly message?: string }[];
  /** status.allocatedResourceStatuses.storage (Kubernetes 1.34: ControllerResizeInProgress, NodeResizePending, …). */
  readonly resizeStatus: string | undefined;
  /** status.allocatedResources.storage: the size the resizer last took up (and, if refused, refused). */
  readonly allocated?: string | undefined;
  /** The size the Gaim's spec names for this claim, if it names one. */
  readonly wanted?: string | undefined;
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
  const [request, capacity, wanted] = [bytes(claim.request), bytes(claim.capacity), bytes(claim.wanted)];
  if (request === undefined || capacity === undefined || capacity >= request) return { state: 'steady' };
  // Backed out to the capacity the volume has: the request cannot follow (the API server keeps it
  // above the capacity), and the Gaim has what it asks for.
  if (wanted !== undefined && wanted <= capacity) return { state: 'steady' };
  const target = `claim ${name}: capacity ${claim.capacity ?? '?'}, requested ${claim.request ?? '?'}`;
  // A request changed since the resizer's last attempt (lowered after a refusal) is not refused yet.
  if (claim.allocated !== undefined && bytes(claim.allocated) !== request) {
    return { state: 'Resizing', message: `${target}; the volume is being expanded (the store keeps serving)` };
  }
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
  /** A pending or refused expansion backed out to a smaller size still above the capacity. */
  | { readonly action: 'lower'; readonly from: string; readonly to: string }
  /** An explicit size below what the volume has: volumes only grow. */
  | { readonly action: 'refuse'; readonly from: string; readonly to: string };

/**
 * What a spec asks of an existing claim. `explicit`: the size is the spec's own (a tier's default
 * that is smaller — after a tier change — is not a request to shrink, and keeps the claim as it is).
 * Below the request but not below the capacity: an expansion backed out. The request goes down with
 * it while the size is above the capacity; at the capacity it stays where it is (the API server
 * allows no lower), and the claim has what is asked.
 */
export function claimGrowth(currentRequest: string | undefined, capacity: string | undefined, wanted: string, explicit: boolean): Growth {
  if (currentRequest === undefined) return { action: 'none' };
  const [current, target, has] = [parseQuantity(currentRequest), parseQuantity(wanted), bytes(capacity)];
  if (current === undefined || target === undefined || current === target) return { action: 'none' };
  if (target > current) return { action: 'grow', from: currentRequest, to: wanted };
  if (!explicit) return { action: 'none' };
  if (has !== undefined && target > has) return { action: 'lower', from: currentRequest, to: wanted };
  if (has !== undefined && target === has) return { action: 'none' };
  return { action: 'refuse', from: capacity ?? currentRequest, to: wanted };
}

/** The request a claim the spec sizes should have: the spec's size where it grows or backs out, else the current one. */
export function claimRequest(currentRequest: string | undefined, capacity: string | undefined, wanted: string): string {
  if (currentRequest === undefined) return wanted;
  const growth = claimGrowth(currentRequest, capacity, wanted, true);
  return growth.action === 'grow' || growth.action === 'lower' ? wanted : currentRequest;
}
