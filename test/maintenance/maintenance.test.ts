// LanceDB maintenance on the stack: a table an app wrote one row at a time (twenty versions, twenty
// fragments) is compacted and its old versions cleaned by the scheduled maintenance Job, which runs
// the operator's image as the storage user on the Gaim's claim; every row is still there, and the
// Gaim's status and metrics carry the figures the Job reported.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as lancedb from '@lancedb/lancedb';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources } from '../../src/kube/resources.js';
import { EMBEDDING_DIMENSIONS } from '../../src/datamodel.js';
import { stackVolumePath } from '../../stack/provisioner.js';
import { metricValue } from '../support/operator-process.js';
import { createGaim } from '../support/gaims.js';
import { isSynced, waitForGaim, type GaimObject } from '../support/operator.js';
import { createNamespace } from '../support/stack.js';
import { useSuite } from '../support/suite.js';

type Maintenance = { lastRun?: { job: string; succeeded: boolean; message?: string }; tables?: { table: string; rows: number; versions: number; fragments: number; versionsBefore: number; fragmentsBefore: number }[] };
const maintenanceOf = (g: GaimObject) => (g.status as { maintenance?: Maintenance } | undefined)?.maintenance;

describe('lancedb maintenance', () => {
  const suite = useSuite();

  it('compacts a table of many small versions and cleans old versions, every row kept', async () => {
    const operator = await suite.operator();
    const ns = await createNamespace('maint');
    await createGaim(suite.client, ns, 'mnt', { lancedb: { storage: { storageClassName: 'enterprise-multishare-rwx', size: '100Gi' } } });
    await waitForGaim(suite.client, ns, 'mnt', 'to be Synced', isSynced, 120_000);

    // An app writes the tool selector table one row at a time. The test writes as root, then hands
    // the files to the storage user, as if that app (running as GAIM_STORAGE_UID/GID) had written them.
    const claim = await suite.client.get<KubeObject & { spec?: { volumeName?: string } }>(Resources.persistentVolumeClaim, 'mnt-lancedb', ns);
    const volume = stackVolumePath(await suite.client.get(Resources.persistentVolume, claim.spec?.volumeName ?? '')) ?? '';
    const previous = process.umask(0o002); // group-writable, as the seed makes the layout: the Job runs as the storage user
    const ids = Array.from({ length: 20 }, (_, i) => `tool-${String(i).padStart(2, '0')}`);
    const db = await lancedb.connect(join(volume, 'stage', 'tool_selector'));
    const table = await db.openTable('tools');
    for (const [i, id] of ids.entries()) {
      await table.add([{ tool_id: id, function_name: `fn_${String(i)}`, description: 'routes a query', embedding: Array<number>(EMBEDDING_DIMENSIONS.toolSelector).fill(i / 20), created_at: new Date() }]);
    }
    const versionsBefore = (await table.listVersions()).length;
    table.close();
    db.close();
    process.umask(previous);
    await promisify(execFile)('chown', ['-R', '1000:1000', join(volume, 'stage', 'tool_selector')]);

    // Twenty small writes take well under a second, so a run right after them finds every version
    // younger than cleanupOlderThan (1s) and rightly keeps them all (and, compacting, leaves nothing
    // for a later run to show). Only a run that starts once the writes are older than that proves the
    // cleanup, so maintenance is switched on only then: a Job created earlier could still start its
    // pod after the writes (the stack's runner queues pods), and the race would decide the outcome.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await suite.client.mergePatch(Resources.gaim, 'mnt', ns, { spec: { lancedb: { maintenance: { schedule: '* * * * *', cleanupOlderThan: '1s' } } } });
    const done = await waitForGaim(suite.client, ns, 'mnt', 'to report a maintenance run that found the twenty versions', (g) => {
      const run = maintenanceOf(g)?.lastRun;
      const tools = maintenanceOf(g)?.tables?.find((t) => t.table === 'stage/tool_selector/tools.lance');
      return run?.succeeded === true && (tools?.versionsBefore ?? 0) >= versionsBefore;
    }, 200_000);
    const tools = maintenanceOf(done)?.tables?.find((t) => t.table === 'stage/tool_selector/tools.lance');
    expect(tools?.rows).toBe(20);
    expect(tools?.fragments).toBeLessThan(tools?.fragmentsBefore ?? 0);
    expect(tools?.versions).toBeLessThan(tools?.versionsBefore ?? 0);

    const reopened = await lancedb.connect(join(volume, 'stage', 'tool_selector'));
    const after = await reopened.openTable('tools');
    const rows = (await after.query().select(['tool_id']).toArray()) as { tool_id: string }[];
    expect(rows.map((r) => r.tool_id).sort()).toEqual(ids);
    expect((await after.listVersions()).length).toBeLessThan(versionsBefore);
    after.close();
    reopened.close();
    expect(metricValue(await operator.metrics(), 'gaim_lancedb_table_rows', { namespace: ns, gaim: 'mnt', table: 'stage/tool_selector/tools.lance' })).toBe(20);
    // Never two at once: each Job of this Gaim ended before the next began.
    const jobs = (await suite.client.list<KubeObject & { status?: { startTime?: string; completionTime?: string } }>(Resources.job, { namespace: ns, labelSelector: 'app.kubernetes.io/component=maintenance' })).items
      .sort((a, b) => (a.status?.startTime ?? '').localeCompare(b.status?.startTime ?? ''));
    for (let i = 1; i < jobs.length; i++) expect(Date.parse(jobs[i]?.status?.startTime ?? '')).toBeGreaterThanOrEqual(Date.parse(jobs[i - 1]?.status?.completionTime ?? ''));
  }, 300_000);
});
