import type { KubeObject } from '../kube/objects.js';

export interface Readiness {
  readonly ready: boolean;
  /** PascalCase, for the condition. */
  readonly reason: string;
  readonly message: string;
}

interface StatefulSetLike extends KubeObject {
  spec?: { replicas?: number };
  status?: { observedGeneration?: number; readyReplicas?: number; updatedReplicas?: number; currentRevision?: string; updateRevision?: string };
}

/**
 * Ready when the controller has seen the current spec and every replica is updated and ready. A
 * store scaled to zero (hibernating, or just woken before the scale-up is seen) serves nothing: not
 * ready, though "all 0 of its pods" are.
 */
export function statefulSetReadiness(sts: KubeObject | undefined): Readiness {
  if (sts === undefined) return { ready: false, reason: 'Creating', message: 'the StatefulSet does not exist yet' };
  const { spec, status, metadata } = sts as StatefulSetLike;
  const want = spec?.replicas ?? 1;
  if (want === 0) return { ready: false, reason: 'ScaledToZero', message: 'the StatefulSet is scaled to zero replicas' };
  if ((status?.observedGeneration ?? 0) < (metadata?.generation ?? 0)) {
    return { ready: false, reason: 'Progressing', message: 'the StatefulSet controller has not seen the latest spec' };
  }
  const ready = status?.readyReplicas ?? 0;
  if (ready < want) return { ready: false, reason: 'PodsPending', message: `${ready}/${want} pods ready` };
  if ((status?.updatedReplicas ?? 0) < want || (status?.updateRevision !== undefined && status.currentRevision !== status.updateRevision)) {
    return { ready: false, reason: 'RollingUpdate', message: 'pods are being updated to the latest spec' };
  }
  return { ready: true, reason: 'Ready', message: `${ready}/${want} pods ready` };
}

/** Ready when the claim is Bound. */
export function claimReadiness(claim: KubeObject | undefined): Readiness {
  if (claim === undefined) return { ready: false, reason: 'Creating', message: 'the claim does not exist yet' };
  const phase = (claim as { status?: { phase?: string } }).status?.phase ?? 'Pending';
  if (phase === 'Bound') return { ready: true, reason: 'ClaimBound', message: `claim ${claim.metadata?.name ?? ''} is Bound` };
  if (phase === 'Lost') return { ready: false, reason: 'ClaimLost', message: 'the claim lost its volume' };
  return { ready: false, reason: 'ClaimPending', message: `claim ${claim.metadata?.name ?? ''} is ${phase}` };
}
