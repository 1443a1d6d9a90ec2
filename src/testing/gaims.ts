// A parsed Gaim for unit tests of the reconcile's steps: a valid manifest with the fields a test
// does not care about filled in, so each test names only what it varies.
import type { Gaim } from '../api/v1alpha1/gaim.js';
import { parseGaim } from '../api/v1alpha1/validate.js';

export const TEST_GAIM_ID = '660e8400-e29b-41d4-a716-446655440001';

export interface TestGaimParts {
  /** Merged over `name: marvin, namespace: team, uid: u-1, generation: 1`. */
  readonly metadata?: Record<string, unknown>;
  readonly status?: Record<string, unknown>;
}

/** `spec` is merged over a one-environment Gaim on GKE's Filestore multishare class; throws if invalid. */
export function testGaim(spec: Record<string, unknown> = {}, parts: TestGaimParts = {}): Gaim {
  const parsed = parseGaim({
    apiVersion: 'gaim.livingcontent.io/v1alpha1', kind: 'Gaim',
    metadata: { name: 'marvin', namespace: 'team', uid: 'u-1', generation: 1, ...parts.metadata },
    spec: { gaimId: TEST_GAIM_ID, displayName: 'M', environments: ['stage'], lancedb: { storage: { storageClassName: 'enterprise-multishare-rwx', size: '100Gi' } }, ...spec },
    ...(parts.status === undefined ? {} : { status: parts.status }),
  });
  if (!parsed.ok) throw parsed.error;
  return parsed.gaim;
}
