import { describe, expect, it } from 'vitest';
import { maintenanceSummary, type MaintenanceReport, type MaintenanceSummary, type TableMaintenance } from './maintenance-report.js';
import { TERMINATION_MESSAGE_LIMIT } from './seed-storage-args.js';

const figures = (n: number) => ({ rows: n, versions: n + 1, fragments: n + 2, bytes: n + 3 });
const maintained = (path: string, n: number): TableMaintenance => ({ path, status: 'maintained', before: figures(n), after: figures(0) });

describe('maintenanceSummary', () => {
  it('keys tables by their path under the root, each figure as [before, after], and lists the missing', () => {
    const report: MaintenanceReport = {
      cleanupOlderThanSeconds: 600,
      tables: [maintained('/data/stage/tool_selector/tools.lance', 20), { path: '/data/prod/knowledge/knowledge_audio.lance', status: 'missing' }],
    };
    expect(JSON.parse(maintenanceSummary(report, '/data'))).toEqual({
      cleanupOlderThanSeconds: 600,
      tables: { 'stage/tool_selector/tools.lance': { rows: [20, 0], versions: [21, 1], fragments: [22, 2], bytes: [23, 3] } },
      missing: ['prod/knowledge/knowledge_audio.lance'],
    });
  });

  it('fits every table of three environments, with figures in the billions, in the termination message', () => {
    const paths = ['local', 'stage', 'prod'].flatMap((env) => ['tool_selector/tools', 'knowledge/knowledge_text', 'knowledge/knowledge_image',
      'knowledge/knowledge_video', 'knowledge/knowledge_audio'].map((table) => `/data/${env}/${table}.lance`));
    const summary = maintenanceSummary({ cleanupOlderThanSeconds: 604_800, tables: paths.map((p) => maintained(p, 999_999_999_999)) }, '/data');
    expect(Buffer.byteLength(summary)).toBeLessThanOrEqual(TERMINATION_MESSAGE_LIMIT);
    expect(Object.keys((JSON.parse(summary) as MaintenanceSummary).tables)).toHaveLength(15);
  });

  it('leaves out and counts the last tables rather than cut the JSON, should more than fit be reported', () => {
    const tables = Array.from({ length: 60 }, (_, i) => maintained(`/data/stage/knowledge/table_${i}.lance`, 999_999_999_999));
    const summary = maintenanceSummary({ cleanupOlderThanSeconds: 0, tables }, '/data');
    expect(Buffer.byteLength(summary)).toBeLessThanOrEqual(TERMINATION_MESSAGE_LIMIT);
    const parsed = JSON.parse(summary) as MaintenanceSummary;
    const shown = Object.keys(parsed.tables).length;
    expect(shown).toBeGreaterThan(0);
    expect(parsed.omitted).toBe(60 - shown);
    expect(Object.keys(parsed.tables)[shown - 1]).toBe(`stage/knowledge/table_${shown - 1}.lance`);
  });
});
