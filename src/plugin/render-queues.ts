// The queue figures of `kubectl gaim status`: status.queues, one row per environment, as the
// operator's prober last sampled them (XINFO GROUPS / XPENDING of gaim:tasks:{env}, XLEN of its DLQ).
import { age, humanDuration, table } from './format.js';
import type { GaimView, QueueView } from './gaim-view.js';

export const QUEUE_HEADER = ['ENV', 'LENGTH', 'LAG', 'PENDING', 'OLDEST PENDING', 'MAX DELIVERIES', 'CONSUMERS', 'IDLE', 'DLQ'] as const;

/**
 * The label's summary (the QueuesHealthy condition and when the figures were sampled, or "not
 * sampled yet") and the table under it. The figures are as of their sampledAt: the operator writes
 * them when the queues' health changes, and at most every 5 minutes while they move, so unchanged
 * queues keep an old time (the gaim_stream_* metrics are the live view).
 */
export function renderQueues(gaim: GaimView, now: Date, width: number): { summary: string; table: string[] } {
  const queues = gaim.status?.queues;
  const healthy = gaim.status?.conditions.find((c) => c.type === 'QueuesHealthy');
  const verdict = healthy === undefined ? [] : [`QueuesHealthy ${healthy.status ?? '?'} (${healthy.reason ?? '-'})`];
  if (queues === undefined) return { summary: ['not sampled yet', ...verdict].join('; '), table: [] };
  const envs = [...new Set([...(gaim.spec.environments ?? []), ...queues.map((q) => q.env)])];
  const rows = envs.map((env) => {
    const queue = queues.find((q) => q.env === env);
    return queue === undefined ? [env, 'not sampled yet'] : queueRow(queue);
  });
  return { summary: [...verdict, sampled(queues, now)].join('; '), table: table(QUEUE_HEADER, rows, width, { cutLast: false }) };
}

/** When the oldest of the figures shown was sampled: one prober pass samples every environment. */
function sampled(queues: readonly QueueView[], now: Date): string {
  const times = queues.map((q) => (q.sampledAt === undefined ? Number.NaN : Date.parse(q.sampledAt))).filter((t) => !Number.isNaN(t));
  if (times.length === 0) return 'sampled at an unknown time';
  return `figures as of ${age(new Date(Math.min(...times)).toISOString(), now)} ago`;
}

function queueRow(queue: QueueView): string[] {
  const figure = (value: number | undefined) => (value === undefined ? '?' : String(value));
  // Zero pending entries have no oldest: a 0 there would read as "just now".
  const oldest = queue.pending === 0 || queue.oldestPendingSeconds === undefined ? '-' : humanDuration(queue.oldestPendingSeconds * 1000);
  return [
    queue.env,
    figure(queue.length),
    queue.lag === undefined ? 'unknown' : String(queue.lag),
    figure(queue.pending),
    oldest,
    figure(queue.maxDeliveries),
    figure(queue.consumers),
    figure(queue.consumersIdle),
    figure(queue.dlqLength),
  ];
}
