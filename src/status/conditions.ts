import type { Condition, ConditionType } from '../api/v1alpha1/gaim.js';

export interface ConditionUpdate {
  readonly type: ConditionType;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
}

/**
 * Sets one condition and stamps the generation it was computed for. lastTransitionTime moves only
 * when the status changes, so an unchanged condition compares equal and causes no write.
 */
export function setCondition(conditions: readonly Condition[], update: ConditionUpdate, generation: number, now: Date): Condition[] {
  const previous = conditions.find((c) => c.type === update.type);
  const next: Condition = {
    type: update.type,
    status: update.status,
    observedGeneration: generation,
    lastTransitionTime: previous !== undefined && previous.status === update.status ? previous.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    reason: update.reason,
    message: update.message,
  };
  return [...conditions.filter((c) => c.type !== update.type), next].sort((a, b) => order(a.type) - order(b.type));
}

const ORDER: readonly string[] = ['Ready', 'MongoDBReady', 'RedisReady', 'StorageReady', 'Seeded', 'FirestoreSynced', 'BackedUp', 'QueuesHealthy'];
const order = (type: string) => (ORDER.includes(type) ? ORDER.indexOf(type) : ORDER.length);

/** Removes a condition that no longer applies (BackedUp once the schedule is gone). */
export function removeCondition(conditions: readonly Condition[], type: ConditionType): Condition[] {
  return conditions.filter((c) => c.type !== type);
}
