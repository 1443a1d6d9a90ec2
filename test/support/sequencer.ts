import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { relative } from 'node:path';
import { testStackCount } from './test-stacks.js';

/**
 * Seconds each integration file took in one whole run on two cores, three stacks, from its start to
 * its end in the slowest reporter's timeline (which prints every file's; refresh this table from it
 * when files are added or grow). Only their order matters: a file at 0 s here ran in under a second
 * of tests once collected.
 */
const FILE_SECONDS: Readonly<Record<string, number>> = {
  'test/backups/backups.test.ts': 291,
  'test/queues/queues.test.ts': 170,
  'test/helm/helm.test.ts': 153,
  'test/isolation/isolation.test.ts': 131,
  'test/faults/infrastructure.test.ts': 117,
  'test/faults/bad-input.test.ts': 96,
  'test/hibernation/hibernation.test.ts': 95,
  'test/seeding/seeding.test.ts': 91,
  'test/faults/hung.test.ts': 89,
  'test/faults/operator-crash.test.ts': 85,
  'test/backups/backup-faults.test.ts': 84,
  'test/backups/outlive.test.ts': 76,
  'test/day-two/upgrade.test.ts': 68,
  'test/provisioning/provisioning.test.ts': 61,
  'test/status/status.test.ts': 59,
  'test/engine/engine.test.ts': 52,
  'test/day-two/images.test.ts': 51,
  'test/gke/day-one.test.ts': 49,
  'test/provisioning/registry.test.ts': 40,
  'test/cli/kubectl-gaim.test.ts': 39,
  'test/image/image.test.ts': 38,
  'test/day-two/resize.test.ts': 35,
  'test/maintenance/maintenance.test.ts': 33,
  'test/day-two/rotate.test.ts': 33,
  'test/smoke/kubernetes.test.ts': 16,
  'test/seeders/seeders.test.ts': 11,
  'test/api/gaim-crd.test.ts': 10,
  'test/isolation/blast-radius.test.ts': 8,
  'test/helm/dashboard.test.ts': 5,
  'test/cli/first-hour.test.ts': 3,
  'stack/stack.test.ts': 3,
  'test/engine/events.test.ts': 1,
  'test/smoke/stores.test.ts': 0,
  'test/queues/dead-letter-cut.test.ts': 0,
  'test/helm/argocd.test.ts': 0,
};
/** A file not in the table yet may be long: it starts among the slow ones. */
const UNKNOWN_SECONDS = 300;

/**
 * Files with a crowd test (suite.crowd: a hundred Gaims, one crowd at a time across the stacks),
 * shortest crowd first.
 */
const CROWDS: readonly string[] = ['test/faults/bad-input.test.ts', 'test/queues/queues.test.ts'];

/**
 * The order integration files start in, on `stacks` stacks. Slowest first: a clean clone (CI) has no
 * timings of its own, and vitest then starts the largest files first, which put the two crowds in the
 * last third of the run, at once, where its end waited for them. The first crowd starts first; each
 * next crowd starts one wave later (after a file has started on every stack), which is about when the
 * crowd before it ends: started at once, the second crowd's stack waited out the first (about two
 * minutes) doing nothing.
 */
export function integrationOrder(files: readonly string[], stacks: number): string[] {
  const seconds = (file: string) => FILE_SECONDS[file] ?? UNKNOWN_SECONDS;
  const crowds = CROWDS.filter((file) => files.includes(file));
  const order = files.filter((file) => !crowds.includes(file)).map((file, i) => ({ file, i }))
    .sort((a, b) => seconds(b.file) - seconds(a.file) || a.i - b.i).map(({ file }) => file);
  for (const [k, crowd] of crowds.entries()) order.splice(Math.min(k * stacks, order.length), 0, crowd);
  return order;
}

/** Integration files in integrationOrder; unit files keep vitest's own order. */
export default class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const name = (spec: TestSpecification) => relative(spec.project.config.root, spec.moduleId);
    const integration = sorted.filter((spec) => spec.project.name === 'integration');
    const order = integrationOrder(integration.map(name), testStackCount());
    const rank = new Map(order.map((file, i) => [file, i]));
    integration.sort((a, b) => (rank.get(name(a)) ?? 0) - (rank.get(name(b)) ?? 0));
    return [...sorted.filter((spec) => spec.project.name !== 'integration'), ...integration];
  }
}

/** The table's files, for the test that keeps it whole. */
export const timedFiles = (): readonly string[] => Object.keys(FILE_SECONDS);
