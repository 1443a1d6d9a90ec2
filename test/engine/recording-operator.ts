// The real operator wiring (settings, watches, queue, leader election, servers, shutdown) with a
// trivial reconciler that records each call as a JSON line on stdout. Logs go to stderr.
//   RECORD_DELAY_MS  how long each reconcile takes (default 50 ms: long enough that a second worker
//                    on the same key would overlap it, so the records would show it)
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { parseSettings, SettingsError } from '../../src/config/settings.js';
import { done, type Reconciler } from '../../src/controller/result.js';
import { createLogger } from '../../src/observability/logger.js';
import { gaimController, OWNED_WATCHES, runOperator } from '../../src/operator.js';

const record = (event: string, fields: Record<string, unknown> = {}) => {
  process.stdout.write(`${JSON.stringify({ event, at: Date.now(), ...fields })}\n`);
};

let settings;
try {
  settings = parseSettings();
} catch (error: unknown) {
  console.error(error instanceof SettingsError ? error.message : String(error));
  process.exit(1);
}
const delayMs = Number(process.env['RECORD_DELAY_MS'] ?? '50');
const log = createLogger(settings.logLevel, pino.destination(2));
const stop = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => { record('signal', { signal }); stop.abort(); });
}
const recorder: Reconciler = {
  async reconcile(key, { signal, attempt }) {
    record('start', { key, attempt });
    await sleep(delayMs, undefined, { signal });
    record('end', { key });
    return done();
  },
};
const reason = await runOperator(settings, log, () => ({ watched: OWNED_WATCHES, controllers: [gaimController(settings, () => recorder)] }), stop.signal, 'test');
record('stopped', { reason });
process.exitCode = reason === 'lost-leadership' ? 1 : 0;
