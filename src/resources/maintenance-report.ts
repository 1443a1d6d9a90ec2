// What the maintenance Job (`maintain-storage`) reports, per LanceDB table: the contract between the
// Job, which writes it, and the operator, which reads the summary from the termination message.
import { relative } from 'node:path';
import { TERMINATION_MESSAGE_LIMIT } from './seed-storage-args.js';

/** One table's figures at one moment. */
export interface TableFigures {
  readonly rows: number;
  /** Versions LanceDB keeps (each one a manifest that pins its data files). */
  readonly versions: number;
  readonly fragments: number;
  /**
   * Bytes of every file in the table's directory, every version's: what the table costs the share.
   * (LanceDB's own stats count only the current version's data, which hides what maintenance frees.)
   */
  readonly bytes: number;
}

export type TableMaintenance =
  | { readonly path: string; readonly status: 'maintained'; readonly before: TableFigures; readonly after: TableFigures }
  | { readonly path: string; readonly status: 'missing' };

export interface MaintenanceReport {
  readonly cleanupOlderThanSeconds: number;
  readonly tables: TableMaintenance[];
}

/** Each figure as [before, after]. */
export type FigureChange = { readonly [K in keyof TableFigures]: readonly [number, number] };

/** The termination message: tables keyed by their path under the root, figures as [before, after]. */
export interface MaintenanceSummary {
  readonly cleanupOlderThanSeconds: number;
  readonly tables: Record<string, FigureChange>;
  readonly missing: string[];
  /** Tables left out so the message fits the kubelet's limit (absent when none were). */
  readonly omitted?: number;
}

/**
 * The report as compact JSON within the termination message limit. Fifteen tables (three
 * environments) fit with room to spare; should more ever be reported, the last ones are left out
 * and counted, rather than the message cut mid-JSON.
 */
export function maintenanceSummary(report: MaintenanceReport, root: string): string {
  for (let kept = report.tables.length; ; kept--) {
    const text = JSON.stringify(summaryOf(report, root, kept));
    if (kept === 0 || Buffer.byteLength(text) <= TERMINATION_MESSAGE_LIMIT) return text;
  }
}

function summaryOf(report: MaintenanceReport, root: string, kept: number): MaintenanceSummary {
  const shown = report.tables.slice(0, kept);
  const omitted = report.tables.length - kept;
  return {
    cleanupOlderThanSeconds: report.cleanupOlderThanSeconds,
    tables: Object.fromEntries(shown.flatMap((t) => (t.status === 'maintained' ? [[relative(root, t.path), change(t.before, t.after)]] : []))),
    missing: shown.flatMap((t) => (t.status === 'missing' ? [relative(root, t.path)] : [])),
    ...(omitted > 0 ? { omitted } : {}),
  };
}

function change(before: TableFigures, after: TableFigures): FigureChange {
  return { rows: [before.rows, after.rows], versions: [before.versions, after.versions], fragments: [before.fragments, after.fragments], bytes: [before.bytes, after.bytes] };
}
