// Cron schedules (spec.backup.schedule), parsed by cron-parser, in UTC: the only module that imports
// it. Five fields (minute hour day-of-month month day-of-week) or a macro (@hourly, @daily, …); a
// sixth (seconds) field, which cron-parser would accept, is refused: Kubernetes' CronJobs have none,
// and a backup every second is a mistake.
//
// cron-parser (with luxon under it) is loaded on the first schedule, not at start-up: most Gaims
// have none, and loading it costs the process about 4 MiB (12 MiB once a schedule is evaluated).
// It is CommonJS, so a require made here loads it synchronously, as the CRD's validation needs.
import { createRequire } from 'node:module';
import type { CronExpressionParser as Parser } from 'cron-parser';

const MACROS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@hourly']);

let parser: typeof Parser | undefined;
function parse(expression: string, currentDate: Date) {
  parser ??= (createRequire(import.meta.url)('cron-parser') as { CronExpressionParser: typeof Parser }).CronExpressionParser;
  return parser.parse(expression, { tz: 'UTC', currentDate, strict: false });
}

/** Why `expression` is not a schedule, or undefined when it is one. */
export function scheduleProblem(expression: string): string | undefined {
  const trimmed = expression.trim();
  if (!MACROS.has(trimmed) && trimmed.split(/\s+/).length !== 5) return 'expected five fields or a macro';
  try {
    parse(trimmed, new Date(0));
    return undefined;
  } catch (error: unknown) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** The latest slot at or before `now` (undefined when the expression is invalid). */
export function previousSlot(expression: string, now: Date): Date | undefined {
  try {
    // prev() is strictly before the current date: start a millisecond after now so `now` itself counts.
    return parse(expression.trim(), new Date(now.getTime() + 1)).prev().toDate();
  } catch {
    return undefined;
  }
}

/** The first slot strictly after `after`. */
export function nextSlot(expression: string, after: Date): Date | undefined {
  try {
    return parse(expression.trim(), after).next().toDate();
  } catch {
    return undefined;
  }
}

/** The schedule's period around `now`: the gap between the two slots that follow it. */
export function schedulePeriodMs(expression: string, now: Date): number | undefined {
  const first = nextSlot(expression, now);
  const second = first === undefined ? undefined : nextSlot(expression, first);
  return first === undefined || second === undefined ? undefined : second.getTime() - first.getTime();
}
