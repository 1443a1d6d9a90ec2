import type { z } from 'zod';
import { ValidationError, type FieldIssue } from '../../errors.js';
import { GaimSchema, type Gaim } from './gaim.js';

/** `spec.environments[1]` from zod's `['spec', 'environments', 1]`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    return out === '' ? String(key) : `${out}.${String(key)}`;
  }, '');
}

function issuesOf(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? `: ${issue.keys.join(', ')}` : '';
    return { path: fieldPath(issue.path), message: `${issue.message}${keys}` };
  });
}

export type ParseResult = { ok: true; gaim: Gaim } | { ok: false; error: ValidationError };

/**
 * Parses a Gaim read from the API server with the same schema the CRD was generated from. The API
 * server has already applied defaults and most rules; this catches what it cannot check and objects
 * written under an older CRD.
 */
export function parseGaim(object: unknown): ParseResult {
  const result = GaimSchema.safeParse(object);
  return result.success ? { ok: true, gaim: result.data } : { ok: false, error: new ValidationError(issuesOf(result.error)) };
}
