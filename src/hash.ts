import { createHash } from 'node:crypto';

/**
 * A short, stable fingerprint of a JSON value: what was applied, what a store was seeded for. Key
 * order matters (JSON.stringify keeps it); callers build their values in a fixed order.
 */
export function fingerprint(value: unknown, length = 16): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, length);
}
