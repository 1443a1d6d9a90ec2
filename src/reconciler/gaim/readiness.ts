// Each store's readiness, decided in one place. Observe reads it off the caches (a StatefulSet's
// pods, a claim's phase); what only other reads or steps can say refines it here, as a pure function:
// a pending claim's provisioning event, a store pod past its start-up budget (startup.ts), a share
// that lacks what LanceDB's commits need (the seed Job's preflight). The tending steps see it before
// seeding's verdict (`forTending`), the status after (`settleStores`).
import type { Gaim } from '../../api/v1alpha1/gaim.js';
import { Message } from '../../messages.js';
import { objectNames } from '../../resources/meta.js';
import type { StoresReadiness } from '../../status/gaim-status.js';
import { Reason } from '../../status/reasons.js';

export interface ReadinessVerdicts {
  /** Why the LanceDB claim is Pending (its latest provisioning event). */
  readonly provisioning?: string | undefined;
  /** Stores out of their start-up budget, with why. */
  readonly startup?: Partial<Record<'mongodb' | 'redis', string>>;
  /** The share lacks an operation LanceDB's commits need (the message names it). */
  readonly filesystem?: string | undefined;
}

export function settleStores(observed: StoresReadiness, verdicts: ReadinessVerdicts): StoresReadiness {
  const { provisioning, startup = {}, filesystem } = verdicts;
  const store = (name: 'mongodb' | 'redis') => {
    const failed = startup[name];
    return failed === undefined || observed[name] === 'disabled' ? observed[name] : { ready: false, reason: Reason.StartupBudgetExceeded, message: failed };
  };
  const storage = filesystem !== undefined ? { ready: false, reason: Reason.FilesystemUnsupported, message: filesystem }
    : provisioning !== undefined && observed.storage.reason === 'ClaimPending' ? { ...observed.storage, message: `${observed.storage.message}: ${provisioning}` }
      : observed.storage;
  return { mongodb: store('mongodb'), redis: store('redis'), storage };
}

/**
 * What seeding and rotation may use: the settled readiness, except that a store still on its
 * previous form (its rollout waits for a slot, or its StatefulSet is being recreated) is not ready
 * for what the new form brings (the Redis operator user, say).
 */
export function forTending(settled: StoresReadiness, onPreviousForm: readonly string[], gaim: Gaim): StoresReadiness {
  if (onPreviousForm.length === 0) return settled;
  const names = objectNames(gaim);
  const hold = (store: 'mongodb' | 'redis', name: string) => (onPreviousForm.includes(name) && settled[store] !== 'disabled'
    ? { ready: false, reason: 'RolloutWaiting', message: Message.rolloutWaits(name, 0, 0) } : settled[store]);
  return { ...settled, mongodb: hold('mongodb', names.mongodb), redis: hold('redis', names.redis) };
}
