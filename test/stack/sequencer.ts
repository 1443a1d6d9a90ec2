import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The integration files that took longest in the last measured run (every run prints its ten
 * slowest), in that order. They start first, so the workers finish together instead of one waiting
 * on a long file another picked up last; a clean clone has no vitest cache to order them by.
 */
export const SLOWEST_FIRST = [
  'test/backups/backups.test.ts',
  'test/queues/queues.test.ts',
  'test/faults/infrastructure.test.ts',
  'test/backups/outlive.test.ts',
  'test/helm/helm.test.ts',
  'test/backups/backup-faults.test.ts',
  'test/faults/operator-crash.test.ts',
  'test/faults/hung.test.ts',
  'test/faults/bad-input.test.ts',
  'test/provisioning/provisioning.test.ts',
  'test/isolation/isolation.test.ts',
];

export default class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification) => {
      const index = SLOWEST_FIRST.findIndex((path) => file.moduleId.endsWith(`/${path}`));
      return index === -1 ? SLOWEST_FIRST.length : index;
    };
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}
