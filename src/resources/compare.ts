import { fingerprint } from '../hash.js';
import type { KubeObject } from '../kube/objects.js';
import { parseQuantity } from './quantity.js';

/** Annotation with the hash of what the operator last applied to an object. */
export const APPLIED_HASH = 'gaim.livingcontent.io/applied-hash';

export function appliedHash(desired: KubeObject): string {
  return fingerprint(desired);
}

/** The desired object with its hash annotation, as it is sent to the API server. */
export function withAppliedHash(desired: KubeObject): KubeObject {
  const hash = appliedHash(desired);
  return { ...desired, metadata: { ...desired.metadata, annotations: { ...desired.metadata?.annotations, [APPLIED_HASH]: hash } } };
}

/**
 * Whether applying `desired` would change anything: true when the object is missing, when what
 * the operator wants changed since its last apply (the hash differs — this also catches fields it
 * stopped setting), or when someone changed a field the operator sets (desired is no longer a
 * subset of what is observed). Fields the API server or others add are ignored.
 */
export function needsApply(desired: KubeObject, observed: KubeObject | undefined): boolean {
  if (observed === undefined) return true;
  const sent = withAppliedHash(desired);
  if (observed.metadata?.annotations?.[APPLIED_HASH] !== sent.metadata?.annotations?.[APPLIED_HASH]) return true;
  const { metadata: desiredMeta, ...desiredBody } = sent;
  const { metadata: observedMeta, ...observedBody } = observed;
  const metaFields = ['labels', 'annotations', 'ownerReferences'] as const;
  const metaSubset = metaFields.every((f) => isSubset(desiredMeta?.[f], observedMeta?.[f]));
  return !(metaSubset && isSubset(desiredBody, observedBody));
}

export function isSubset(desired: unknown, observed: unknown): boolean {
  if (desired === undefined) return true;
  // The API server omits zero values (false, 0, "", empty lists and maps) from what it returns.
  if (observed === undefined && isZero(desired)) return true;
  if (Array.isArray(desired)) {
    return Array.isArray(observed) && observed.length === desired.length && desired.every((d, i) => isSubset(d, observed[i]));
  }
  if (typeof desired === 'object' && desired !== null) {
    if (typeof observed !== 'object' || observed === null || Array.isArray(observed)) return false;
    const o = observed as Record<string, unknown>;
    return Object.entries(desired).every(([key, value]) => isSubset(value, o[key]));
  }
  if (desired === observed) return true;
  // The API server may write a quantity in another form (1000m as 1, 1024Mi as 1Gi).
  if (typeof desired === 'string' && typeof observed === 'string') {
    const [d, o] = [parseQuantity(desired), parseQuantity(observed)];
    return d !== undefined && d === o && /[0-9]/.test(desired);
  }
  return false;
}

function isZero(value: unknown): boolean {
  if (value === false || value === 0 || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
}
