import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MaintenanceReport, MaintenanceSummary } from '../resources/maintenance-report.js';
import { SeedExit } from '../resources/seed-storage-args.js';
import { seedLanceDB } from '../seeders/lancedb.js';
import { maintainStorage } from './maintain-storage.js';

// The command as the maintenance Job runs it: the report on stdout, the summary in the termination
// message (which the operator reads) on success too, and bad arguments as exit code usage.
describe('maintain-storage', () => {
  let root: string;
  let log: string;
  let stdout: string[];
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'maintain-command-'));
    log = join(root, 'termination-log');
    vi.stubEnv('TERMINATION_MESSAGE_PATH', log);
    stdout = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => { stdout.push(line); });
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    await rm(root, { recursive: true, force: true });
  });

  it('prints the report and writes its summary to the termination message', async () => {
    await seedLanceDB(root, ['stage'], { video: 8, audio: 8 });

    expect(await maintainStorage([`--root=${root}`, '--environments=stage,prod', '--cleanup-older-than=0'])).toBe(SeedExit.ok);

    const report = JSON.parse(stdout.join('')) as { command: string } & MaintenanceReport;
    expect(report).toMatchObject({ command: 'maintain-storage', cleanupOlderThanSeconds: 0 });
    expect(report.tables.find((t) => t.path === join(root, 'stage/tool_selector/tools.lance'))).toMatchObject({ status: 'maintained', after: { rows: 0, versions: 1 } });
    expect(report.tables.find((t) => t.path === join(root, 'prod/tool_selector/tools.lance'))).toEqual({ path: join(root, 'prod/tool_selector/tools.lance'), status: 'missing' });
    const summary = JSON.parse(await readFile(log, 'utf8')) as MaintenanceSummary;
    expect(Object.keys(summary.tables)).toHaveLength(5);
    expect(summary.tables['stage/tool_selector/tools.lance']?.rows).toEqual([0, 0]);
    expect(summary.missing).toHaveLength(5);
  });

  it.each([
    ['no age', ['--environments=stage']],
    ['an empty age', ['--environments=stage', '--cleanup-older-than=']],
    ['an age that is not whole seconds', ['--environments=stage', '--cleanup-older-than=1.5']],
    ['an unknown environment', ['--environments=qa', '--cleanup-older-than=60']],
    ['an unknown option', ['--environments=stage', '--cleanup-older-than=60', '--delete-everything']],
  ])('exits with the usage code on %s', async (_name, argv) => {
    expect(await maintainStorage([`--root=${root}`, ...argv])).toBe(SeedExit.usage);
    expect(stdout).toEqual([]);
  });
});
