// What the plugin reads of a Gaim, read leniently. The operator parses Gaims strictly (an unknown
// status field is an error there); a plugin meets operators older and newer than itself, so a field
// it does not know is ignored, a field of the wrong shape reads as absent, and nothing throws.
import { z } from 'zod';
import type { KubeObject } from '../kube/objects.js';

const text = () => z.string().optional().catch(undefined);
const count = () => z.int().min(0).optional().catch(undefined);
const list = <T extends z.ZodType>(item: T) => z.array(z.unknown()).optional().catch(undefined)
  .transform((items) => (items ?? []).flatMap((raw) => {
    const parsed = item.safeParse(raw);
    return parsed.success ? [parsed.data] : [];
  }));

const ConditionView = z.looseObject({
  type: z.string(),
  status: text(),
  reason: text(),
  message: text(),
  lastTransitionTime: text(),
});

const QueueView = z.looseObject({
  env: z.string(),
  length: count(),
  /** Absent when Redis cannot tell (XINFO GROUPS gives no lag after some deletions). */
  lag: count(),
  pending: count(),
  oldestPendingSeconds: count(),
  maxDeliveries: count(),
  consumers: count(),
  consumersIdle: count(),
  dlqLength: count(),
  sampledAt: text(),
});

const ClaimView = z.looseObject({ name: z.string(), store: text(), requested: text(), capacity: text() });

const StoreSpecView = z.looseObject({ enabled: z.boolean().optional().catch(undefined) }).optional().catch(undefined);

const GaimViewSchema = z.looseObject({
  metadata: z.looseObject({
    name: z.string().catch('?'),
    namespace: z.string().catch('?'),
    generation: count(),
    creationTimestamp: text(),
    deletionTimestamp: text(),
  }).catch({ name: '?', namespace: '?' }),
  spec: z.looseObject({
    gaimId: text(),
    environments: z.array(z.string()).optional().catch(undefined),
    tier: text(),
    suspend: z.boolean().optional().catch(undefined),
    mongodb: StoreSpecView,
    redis: StoreSpecView,
    backup: z.looseObject({ schedule: text(), suspend: z.boolean().optional().catch(undefined) }).optional().catch(undefined),
    hibernation: z.looseObject({ mode: text(), idleAfter: text() }).optional().catch(undefined),
  }).catch({}),
  status: z.looseObject({
    observedGeneration: count(),
    syncStatus: text(),
    errorType: text(),
    message: text(),
    retryCount: count(),
    lastRetryAt: text(),
    nextRetryAt: text(),
    conditions: list(ConditionView),
    endpoints: z.looseObject({ mongodb: text(), redis: text(), lancedbClaim: text() }).optional().catch(undefined),
    claims: list(ClaimView),
    queues: z.array(z.unknown()).optional().catch(undefined)
      .transform((items) => (items === undefined ? undefined : list(QueueView).parse(items))),
    lastBackup: z.looseObject({ name: z.string(), completedAt: text() }).optional().catch(undefined),
    hibernatedAt: text(),
    idleSince: text(),
  }).optional().catch(undefined),
});

export type GaimView = z.output<typeof GaimViewSchema>;
export type ConditionView = z.output<typeof ConditionView>;
export type QueueView = z.output<typeof QueueView>;
export type ClaimView = z.output<typeof ClaimView>;

/** The Gaim as the plugin shows it; never throws, whatever the object holds. */
export function gaimView(object: KubeObject): GaimView {
  const parsed = GaimViewSchema.safeParse(object);
  return parsed.success ? parsed.data : { metadata: { name: '?', namespace: '?' }, spec: {} };
}
