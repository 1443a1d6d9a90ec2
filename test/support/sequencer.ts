import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { relative } from 'node:path';

/**
 * Seconds each integration file took in one whole run on two cores (the slowest reporter prints
 * them; refresh this table from its output when files are added or grow). Only their order matters.
 */
const FILE_SECONDS: Readonly<Record<string, number>> = {
  // The two crowds (suite.crowd: one at a time) first, so they are behind the run before its end.
  'test/queues/queues.test.ts': 733,
  'test/faults/bad-input.test.ts': 700,
  'test/backups/outlive.test.ts': 676,
  'test/faults/infrastructure.test.ts': 394,
  'test/backups/backups.test.ts': 364,
  'test/backups/backup-faults.test.ts': 333,
  'test/day-two/images.test.ts': 289,
  'test/day-two/upgrade.test.ts': 241,
  'test/day-two/rotate.test.ts': 206,
  'test/provisioning/registry.test.ts': 199,
  'test/helm/helm.test.ts': 174,
  'test/seeding/seeding.test.ts': 156,
  'test/isolation/isolation.test.ts': 151,
  'test/hibernation/hibernation.test.ts': 148,
  'test/gke/day-one.test.ts': 133,
  'test/faults/hung.test.ts': 126,
  'test/provisioning/provisioning.test.ts': 126,
  'test/faults/operator-crash.test.ts': 117,
  'test/status/status.test.ts': 112,
  'test/image/image.test.ts': 104,
  'test/cli/kubectl-gaim.test.ts': 91,
  'test/day-two/resize.test.ts': 88,
  'test/isolation/blast-radius.test.ts': 88,
  'test/maintenance/maintenance.test.ts': 82,
  'test/api/gaim-crd.test.ts': 81,
  'test/engine/engine.test.ts': 77,
  'test/queues/dead-letter-cut.test.ts': 23,
  'test/smoke/kubernetes.test.ts': 18,
  'test/helm/dashboard.test.ts': 17,
  'test/seeders/seeders.test.ts': 14,
  'test/smoke/stores.test.ts': 10,
  'test/cli/first-hour.test.ts': 7,
  'stack/stack.test.ts': 5,
  'test/engine/events.test.ts': 3,
  'test/helm/argocd.test.ts': 0,
};
/** A file not in the table yet may be long: it starts among the slow ones. */
const UNKNOWN_SECONDS = 300;

/**
 * Integration files, slowest first, by the table above: a clean clone (CI) has no timings of its own,
 * and vitest then starts the largest files first, which put the two crowds in the last third of the
 * run, where its end waited for them. Slowest first, the files that start last are the short ones.
 * Unit files keep vitest's own order.
 */
export default class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const seconds = (spec: TestSpecification) => (spec.project.name === 'integration' ? FILE_SECONDS[relative(spec.project.config.root, spec.moduleId)] ?? UNKNOWN_SECONDS : 0);
    return sorted.map((spec, i) => ({ spec, i, s: seconds(spec) }))
      .sort((a, b) => (a.spec.project.name === b.spec.project.name ? b.s - a.s || a.i - b.i : a.i - b.i))
      .map(({ spec }) => spec);
  }
}

/** The table's files, for the test that keeps it whole. */
export const timedFiles = (): readonly string[] => Object.keys(FILE_SECONDS);
