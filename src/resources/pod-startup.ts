// Whether a store's pod is still starting or has run out of its startup budget: a pure function of
// the pod as the API server has it. A pod that cannot pull its image never runs its startup probe,
// and one that crashes is restarted by the kubelet for ever; neither ends by itself, so the operator
// judges by the clock: not Ready this long after the pod was made means the store failed to start.
import type { KubeObject } from '../kube/objects.js';

interface ContainerState {
  readonly waiting?: { readonly reason?: string; readonly message?: string };
  readonly terminated?: { readonly reason?: string; readonly exitCode?: number; readonly message?: string };
}

export interface PodView extends KubeObject {
  readonly spec?: { readonly containers?: readonly { readonly image?: string }[] };
  readonly status?: {
    readonly phase?: string;
    readonly conditions?: readonly { readonly type: string; readonly status?: string }[];
    readonly containerStatuses?: readonly {
      readonly ready?: boolean;
      readonly restartCount?: number;
      readonly state?: ContainerState;
      readonly lastState?: ContainerState;
    }[];
  };
}

export type StartupVerdict =
  | { readonly state: 'ready' }
  /** Still within its budget: look again after `remainingMs`. */
  | { readonly state: 'starting'; readonly remainingMs: number }
  /** Out of its budget; `why` is what the kubelet last said of the container. */
  | { readonly state: 'stuck'; readonly notReadyForSeconds: number; readonly why: string };

/** After the startup budget, time for the first readiness probe to pass: one probe period. */
export const READINESS_ALLOWANCE_SECONDS = 10;

export function startupVerdict(pod: PodView, budgetSeconds: number, now: Date): StartupVerdict {
  if (pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true) return { state: 'ready' };
  const created = Date.parse(pod.metadata?.creationTimestamp ?? '');
  const elapsedMs = Number.isFinite(created) ? now.getTime() - created : 0;
  const allowedMs = (budgetSeconds + READINESS_ALLOWANCE_SECONDS) * 1000;
  if (elapsedMs < allowedMs) return { state: 'starting', remainingMs: allowedMs - elapsedMs };
  return { state: 'stuck', notReadyForSeconds: Math.floor(elapsedMs / 1000), why: containerSays(pod) };
}

/** What the kubelet says of the store's container: its waiting reason, its last exit, or the pod's phase. */
export function containerSays(pod: PodView): string {
  const status = pod.status?.containerStatuses?.[0];
  const waiting = status?.state?.waiting;
  const last = status?.lastState?.terminated ?? status?.state?.terminated;
  const parts: string[] = [];
  if (waiting?.reason !== undefined) parts.push(`${waiting.reason}${waiting.message === undefined || waiting.message === '' ? '' : `: ${waiting.message}`}`);
  if (last !== undefined) parts.push(`last exit ${String(last.exitCode ?? '?')} (${last.reason ?? 'Error'})`);
  if ((status?.restartCount ?? 0) > 0) parts.push(`restarted ${String(status?.restartCount ?? 0)} times`);
  if (parts.length === 0) parts.push(status?.state === undefined ? `pod ${pod.status?.phase ?? 'Pending'}` : 'running, not ready (its readiness probe fails)');
  return parts.join('; ');
}

/** `5m20s`, for messages. */
export function duration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return [h > 0 ? `${String(h)}h` : '', m > 0 ? `${String(m)}m` : '', s > 0 || (h === 0 && m === 0) ? `${String(s)}s` : ''].join('');
}
