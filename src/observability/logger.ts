import { pino, type Logger } from 'pino';

/**
 * Field names whose values are never logged, wherever they appear: credentials live in Secrets and
 * connection strings, and a log line is the easiest place for them to leak.
 */
const REDACT = [
  'password', 'token', 'secret', 'uri', 'url', 'authorization', 'data', 'stringData',
  '*.password', '*.token', '*.secret', '*.uri', '*.url', '*.authorization', '*.data', '*.stringData',
  'err.config', 'err.request', 'err.response',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { component: 'gaim-operator' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}

export type { Logger };
