// Growing volumes in place. A larger size in the spec raises the existing data claim's request
// (`data-<statefulset>-0`; the StatefulSet's claim template is immutable and is left as it was) or the
// LanceDB claim's (applied with the rest). Before anything changes, the refusal chain has checked
// every claim to grow against its StorageClass (refusals.ts classAllowsExpansion).
import type { Gaim } from '../../api/v1alpha1/gaim.js';
import type { ReconcileContext } from '../../controller/result.js';
import { wrap } from '../../errors.js';
import type { KubeClient } from '../../kube/client.js';
import type { EventRecorder } from '../../kube/events.js';
import { Resources } from '../../kube/resources.js';
import { Message } from '../../messages.js';
import { claimGrowth, type Growth } from '../../resources/claim-growth.js';
import type { TierSizes } from '../../resources/tiers.js';
import { Reason } from '../../status/reasons.js';
import type { ClaimState, Observed } from './observe.js';

export interface ClaimToGrow {
  readonly claim: ClaimState;
  readonly to: string;
  /** Data claims of StatefulSets are patched here; the LanceDB claim grows with the apply step. */
  readonly patch: boolean;
  /** An expansion backed out: the request goes down, to above the capacity. */
  readonly lower?: boolean;
}

/** The size the spec asks of each claim, and whether the spec names it (or it is the tier's default). */
function wantedSizes(gaim: Gaim, sizes: TierSizes): Partial<Record<ClaimState['store'], { size: string; explicit: boolean }>> {
  const { mongodb, redis, lancedb } = gaim.spec;
  return {
    mongodb: { size: mongodb.storage ?? sizes.mongodb.storage, explicit: mongodb.storage !== undefined },
    redis: { size: redis.storage ?? sizes.redis.storage, explicit: redis.storage !== undefined },
    // A static share's size is only recorded on its volume (and immutable): nothing to grow.
    ...(lancedb.storage.storageClassName !== undefined && lancedb.storage.size !== undefined
      ? { lancedb: { size: lancedb.storage.size, explicit: true } } : {}),
  };
}

/** Each observed claim with what the spec's size means for it (claimGrowth decides). */
export function claimGrowths(gaim: Gaim, observed: Observed, sizes: TierSizes): { readonly claim: ClaimState; readonly growth: Growth }[] {
  const wanted = wantedSizes(gaim, sizes);
  return observed.claims.map((claim) => {
    const want = wanted[claim.store];
    return { claim, growth: want === undefined ? { action: 'none' } : claimGrowth(claim.request, claim.capacity, want.size, want.explicit) };
  });
}

/**
 * The claims the spec asks to grow, or to back out of an expansion to a size still above their
 * capacity. A size below a claim's capacity, and a size the driver refused, are refusals
 * (refusals.ts: claimsMayGrow), checked before this runs.
 */
export function planGrowth(gaim: Gaim, observed: Observed, sizes: TierSizes): ClaimToGrow[] {
  return claimGrowths(gaim, observed, sizes).flatMap(({ claim, growth }) => (growth.action === 'grow' || growth.action === 'lower'
    ? [{ claim, to: growth.to, patch: claim.store !== 'lancedb', ...(growth.action === 'lower' ? { lower: true } : {}) }] : []));
}

/** Raises the request of each StatefulSet data claim to grow; the resizer and the kubelet do the rest. */
export async function growClaims(gaim: Gaim, grow: readonly ClaimToGrow[], deps: { client: KubeClient; events: EventRecorder }, context: ReconcileContext): Promise<void> {
  for (const { claim, to, patch, lower } of grow) {
    if (patch) {
      try {
        await deps.client.mergePatch(Resources.persistentVolumeClaim, claim.name, gaim.metadata.namespace, { spec: { resources: { requests: { storage: to } } } }, context.signal);
      } catch (error: unknown) {
        throw wrap(error, Message.growClaim(claim.name, to), { type: 'storage', reason: Reason.VolumeResizeFailed });
      }
    }
    context.log.info({ claim: claim.name, from: claim.request, to }, lower === true ? 'backing out a volume expansion' : 'growing volume');
    deps.events.record(gaim, 'Normal', Reason.VolumeExpansionRequested, 'Resize',
      `claim ${claim.name}: requested ${to} (was ${claim.request ?? '?'}${lower === true ? `; an expansion backed out, the volume has ${claim.capacity ?? '?'}` : ''})`);
  }
}
