// LanceDB maintenance, for the maintenance Job: every append or update leaves a new version and new
// small fragments, and old versions pin their data files, until the share is full. LanceDB's own
// optimize compacts the fragments and removes versions older than a given age.
import { lstat, readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import type { Environment } from '../api/v1alpha1/gaim.js';
import { lancePaths } from '../datamodel.js';
import { errorMessage, OperatorError } from '../errors.js';
import { Message } from '../messages.js';
import type { MaintenanceReport, TableFigures, TableMaintenance } from '../resources/maintenance-report.js';

/** Every table of an environment's layout (data-stores.md), by path. */
function tablePaths(root: string, env: Environment): string[] {
  const paths = lancePaths(env, root);
  return [paths.toolSelector, paths.knowledgeText, paths.knowledgeImage, paths.knowledgeVideo, paths.knowledgeAudio];
}

/**
 * Optimizes every table of each environment under `root`, one at a time, reporting each one's
 * figures before and after; a table that does not exist is reported as missing and nothing is
 * created for it. A table that fails does not stop the others: the run fails (errorType storage)
 * after all were tried, naming each failed table.
 */
export async function maintainLanceDB(root: string, environments: readonly Environment[], cleanupOlderThanSeconds: number): Promise<MaintenanceReport> {
  const tables: TableMaintenance[] = [];
  const failures: string[] = [];
  for (const path of environments.flatMap((env) => tablePaths(root, env))) {
    try {
      tables.push(await maintainTable(path, cleanupOlderThanSeconds));
    } catch (error: unknown) {
      failures.push(`table ${path}: ${errorMessage(error)}`);
    }
  }
  if (failures.length > 0) throw new OperatorError('storage', `${Message.maintainLanceDB}: ${failures.join(' | ')}`);
  return { cleanupOlderThanSeconds, tables };
}

async function maintainTable(path: string, cleanupOlderThanSeconds: number): Promise<TableMaintenance> {
  // Checked before connecting: lancedb.connect creates the directory it is given.
  if (!(await isDirectory(path))) return { path, status: 'missing' };
  const name = basename(path, '.lance');
  const db = await lancedb.connect(dirname(path));
  try {
    if (!(await db.tableNames()).includes(name)) return { path, status: 'missing' };
    const table = await db.openTable(name);
    try {
      const before = await figures(table, path);
      // deleteUnverified stays off: files younger than seven days that no version references may
      // be an app's commit in flight, and this Job cannot know that no app is writing.
      await table.optimize({ cleanupOlderThan: new Date(Date.now() - cleanupOlderThanSeconds * 1000) });
      return { path, status: 'maintained', before, after: await figures(table, path) };
    } finally {
      table.close();
    }
  } finally {
    db.close();
  }
}

async function figures(table: lancedb.Table, path: string): Promise<TableFigures> {
  const stats = await table.stats();
  return { rows: await table.countRows(), versions: (await table.listVersions()).length, fragments: stats.fragmentStats.numFragments, bytes: await bytesUnder(path) };
}

async function bytesUnder(dir: string): Promise<number> {
  let bytes = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    // A file gone since the listing (an app's own cleanup) no longer costs anything.
    if (entry.isFile()) bytes += await lstat(join(entry.parentPath, entry.name)).then((s) => s.size, unlessNotFound(0));
  }
  return bytes;
}

const isDirectory = (path: string): Promise<boolean> => lstat(path).then((s) => s.isDirectory(), unlessNotFound(false));

/** A rejection handler: `value` when the path does not exist, the error itself otherwise. */
const unlessNotFound = <T>(value: T) => (error: unknown): T => {
  if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT') return value;
  throw error;
};
