// What a Gaim's queue figures mean, as pure functions: the QueuesHealthy condition, the status entry,
// and when the status is worth a write. The failures that matter are the ones every container's
// health check misses: a poison task redelivered again and again, consumers that died with entries
// pending or leave the queue unread, a dead-letter stream that keeps growing.
import type { Environment, GaimStatus } from '../api/v1alpha1/gaim.js';

/** One environment's figures (seeders/redis-queues.ts samples them). */
export interface QueueFigures {
  readonly env: Environment;
  readonly length: number;
  readonly lag?: number;
  readonly pending: number;
  readonly oldestPendingSeconds: number;
  readonly maxDeliveries: number;
  readonly consumers: number;
  readonly consumersIdle: number;
  readonly dlqLength: number;
}

export type QueueEntry = NonNullable<GaimStatus['queues']>[number];

/** The QueuesHealthy condition, as status/conditions.ts sets it. */
export interface QueueCondition {
  readonly type: 'QueuesHealthy';
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
}

/** A pending task delivered this many times is poison (the auto-pilot's maxDeliveries acts earlier, if set). */
export const POISON_DELIVERIES = 5;
/** Status figures are refreshed at most this often while they move (the metrics carry every sample). */
export const STATUS_REFRESH_MS = 5 * 60_000;

export const QueueReason = {
  Healthy: 'Healthy',
  DeadLettersGrowing: 'DeadLettersGrowing',
  ConsumersStalled: 'ConsumersStalled',
  PoisonTasks: 'PoisonTasks',
  Unknown: 'Unknown',
} as const;

/** `1h30m` → 5400000; undefined for anything else. */
export function durationMs(text: string): number | undefined {
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (match === null || text === '') return undefined;
  return ((Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0)) * 60 + Number(match[3] ?? 0)) * 1000;
}

/**
 * QueuesHealthy from this sample and whether each environment's dead letters grew over the recent
 * window; the worst finding of any environment wins (poison, then growing dead letters, then
 * stalled consumers).
 */
export function queueCondition(figures: readonly QueueFigures[], dlqGrew: ReadonlySet<Environment>): QueueCondition {
  const findings: { rank: number; reason: string; message: string }[] = [];
  for (const f of figures) {
    if (f.maxDeliveries >= POISON_DELIVERIES) {
      findings.push({ rank: 3, reason: QueueReason.PoisonTasks, message: `${f.env}: a pending task was delivered ${String(f.maxDeliveries)} times without being acknowledged (set spec.redis.queues.maxDeliveries to dead-letter such tasks)` });
    }
    if (dlqGrew.has(f.env)) findings.push({ rank: 2, reason: QueueReason.DeadLettersGrowing, message: `${f.env}: the dead-letter stream grew to ${String(f.dlqLength)} entries in the last 15 minutes` });
    const waiting = f.pending > 0 || (f.lag ?? 0) > 0;
    const nobody = f.consumers === 0 || f.consumersIdle === f.consumers;
    if (waiting && nobody) {
      const what = f.pending > 0 ? `${String(f.pending)} pending (oldest ${String(f.oldestPendingSeconds)}s)` : `${String(f.lag ?? 0)} undelivered`;
      findings.push({ rank: 1, reason: QueueReason.ConsumersStalled, message: `${f.env}: ${what} tasks, and ${f.consumers === 0 ? 'no consumer' : 'every consumer idle for over a minute'}` });
    }
  }
  findings.sort((a, b) => b.rank - a.rank);
  const worst = findings[0];
  if (worst === undefined) return { type: 'QueuesHealthy', status: 'True', reason: QueueReason.Healthy, message: `${figures.map((f) => f.env).join(', ')}: tasks flow` };
  return { type: 'QueuesHealthy', status: 'False', reason: worst.reason, message: findings.map((f) => f.message).join('; ') };
}

export function queueEntries(figures: readonly QueueFigures[], sampledAt: Date): QueueEntry[] {
  const at = sampledAt.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return figures.map((f) => ({
    env: f.env, length: f.length, ...(f.lag === undefined ? {} : { lag: f.lag }), pending: f.pending, oldestPendingSeconds: f.oldestPendingSeconds,
    maxDeliveries: f.maxDeliveries, consumers: f.consumers, consumersIdle: f.consumersIdle, dlqLength: f.dlqLength, sampledAt: at,
  }));
}

const figuresOf = ({ sampledAt: _at, oldestPendingSeconds: _age, ...rest }: QueueEntry) => JSON.stringify(rest);

/**
 * Whether a new sample is worth a status write: its health changed, or its figures moved and the
 * written ones are older than STATUS_REFRESH_MS. Unchanged queues never cause a write (only the
 * oldest entry's age grows by itself: it alone does not count as moving).
 */
export function statusWorthWriting(previous: readonly QueueEntry[] | undefined, previousReason: string | undefined, next: readonly QueueEntry[], nextReason: string, now: Date): boolean {
  if (previous === undefined || previousReason !== nextReason) return true;
  const moved = previous.length !== next.length || previous.some((p, i) => next[i] === undefined || figuresOf(p) !== figuresOf(next[i]));
  if (!moved) return false;
  const writtenAt = Math.min(...previous.map((p) => Date.parse(p.sampledAt)));
  return now.getTime() - writtenAt >= STATUS_REFRESH_MS;
}
