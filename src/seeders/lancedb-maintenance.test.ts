import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EMBEDDING_DIMENSIONS, lancePaths } from '../datamodel.js';
import type { TableMaintenance } from '../resources/maintenance-report.js';
import { maintainLanceDB } from './lancedb-maintenance.js';
import { seedLanceDB } from './lancedb.js';

// Real LanceDB on a temp directory: the tables the seed makes, then what an app's writes leave.
describe('maintainLanceDB', () => {
  let root: string;
  const ids = Array.from({ length: 20 }, (_, i) => `tool-${String(i).padStart(2, '0')}`);
  const toolsPath = () => lancePaths('stage', root).toolSelector;

  /** Twenty single-row appends of the data model's tool selector rows: twenty versions, twenty fragments. */
  async function appendOneByOne(): Promise<void> {
    const db = await lancedb.connect(join(root, 'stage', 'tool_selector'));
    const table = await db.openTable('tools');
    for (const [i, id] of ids.entries()) {
      await table.add([{ tool_id: id, function_name: `fn_${i}`, description: 'routes a query', embedding: Array<number>(EMBEDDING_DIMENSIONS.toolSelector).fill(i / 20), created_at: new Date() }]);
    }
    table.close();
    db.close();
  }

  async function storedIds(): Promise<string[]> {
    const db = await lancedb.connect(join(root, 'stage', 'tool_selector'));
    const table = await db.openTable('tools');
    const rows = (await table.query().select(['tool_id']).toArray()) as { tool_id: string }[];
    table.close();
    db.close();
    return rows.map((r) => r.tool_id).sort();
  }

  const maintained = (tables: TableMaintenance[], path: string) => {
    const table = tables.find((t) => t.path === path);
    if (table?.status !== 'maintained') throw new Error(`${path} was not maintained: ${JSON.stringify(table)}`);
    return table;
  };

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'maintain-'));
    await seedLanceDB(root, ['stage'], { video: 8, audio: 8 });
    await appendOneByOne();
  });
  afterEach(async () => { await rm(root, { recursive: true, force: true }); });

  it('leaves a table of many small versions with fewer fragments and versions, every row, and, by the next run, fewer bytes', async () => {
    // Cutoffs a second in the past, with a second between each run and the writes before it: the
    // versions a run makes itself (compaction, index update) are newer than its cutoff, so it keeps
    // them, and the data files they pin, until the next run (one run with a cutoff of "now" usually
    // left one version and fewer bytes, but not always: CI once saw two versions and every old file).
    const settle = () => new Promise((resolve) => setTimeout(resolve, 1100));
    await settle();
    const first = maintained((await maintainLanceDB(root, ['stage'], 1)).tables, toolsPath());
    await settle();
    const second = maintained((await maintainLanceDB(root, ['stage'], 1)).tables, toolsPath());
    const figures = JSON.stringify({ first, second });

    expect(first.before, figures).toMatchObject({ rows: 20, fragments: 20 });
    expect(first.before.versions, figures).toBeGreaterThanOrEqual(21);
    expect(first.after.fragments, figures).toBe(1);
    expect(first.after.versions, figures).toBeLessThan(first.before.versions);
    expect(second.after.versions, figures).toBe(1);
    expect(second.after.bytes, figures).toBeLessThan(first.before.bytes);
    expect(second.after.rows).toBe(20);
    expect(await storedIds()).toEqual(ids);
  });

  it('keeps versions younger than the given age, compacting all the same', async () => {
    const report = await maintainLanceDB(root, ['stage'], 3600);

    const { before, after } = maintained(report.tables, toolsPath());
    expect(after.fragments).toBeLessThan(before.fragments);
    expect(after.versions).toBeGreaterThan(before.versions);
    expect(await storedIds()).toEqual(ids);
  });

  it('reports every table of each environment, and those that do not exist as missing, creating nothing', async () => {
    const report = await maintainLanceDB(root, ['stage', 'prod'], 0);

    expect(report.tables.map((t) => [t.path.slice(root.length + 1), t.status])).toEqual([
      ['stage/tool_selector/tools.lance', 'maintained'],
      ['stage/knowledge/knowledge_text.lance', 'maintained'],
      ['stage/knowledge/knowledge_image.lance', 'maintained'],
      ['stage/knowledge/knowledge_video.lance', 'maintained'],
      ['stage/knowledge/knowledge_audio.lance', 'maintained'],
      ['prod/tool_selector/tools.lance', 'missing'],
      ['prod/knowledge/knowledge_text.lance', 'missing'],
      ['prod/knowledge/knowledge_image.lance', 'missing'],
      ['prod/knowledge/knowledge_video.lance', 'missing'],
      ['prod/knowledge/knowledge_audio.lance', 'missing'],
    ]);
    expect(maintained(report.tables, lancePaths('stage', root).knowledgeText).after).toMatchObject({ rows: 0, versions: 1 });
    await expect(access(join(root, 'prod'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
