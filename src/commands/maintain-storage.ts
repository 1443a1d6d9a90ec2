// `gaim-operator maintain-storage`: the maintenance Job's command. Compacts every LanceDB table and
// removes its old versions, reporting each table's figures before and after.
import { maintenanceSummary } from '../resources/maintenance-report.js';
import { parseMaintainStorageArgs } from '../resources/seed-storage-args.js';
import { maintainLanceDB } from '../seeders/lancedb-maintenance.js';
import { runJobCommand, writeTerminationMessage } from './job-output.js';

export function maintainStorage(argv: string[]): Promise<number> {
  return runJobCommand('maintain-storage', async () => {
    const options = parseMaintainStorageArgs(argv);
    // Compacted files and new manifests stay group-writable, as the seed made the tables.
    process.umask(0o002);
    const report = await maintainLanceDB(options.root, options.environments, options.cleanupOlderThanSeconds);
    // The operator reads the figures from the termination message, which runJobCommand writes only on failure.
    await writeTerminationMessage(maintenanceSummary(report, options.root));
    return { command: 'maintain-storage', ...report };
  });
}
