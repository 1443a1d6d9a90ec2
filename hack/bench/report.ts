// The benchmark's output: one table (printed, and as Markdown), the raw figures as JSON, and a chart
// of convergence time against N drawn as SVG and rendered to PNG with resvg.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';

export interface BenchResult {
  readonly when: string;
  readonly machine: { readonly cpus: number; readonly node: string };
  readonly workers: number;
  readonly convergence: readonly {
    readonly n: number;
    readonly operatorSeconds: number;
    readonly bareClientSeconds: number;
    readonly ratio: number;
    readonly readsPerGaim: number;
    readonly writesPerGaim: number;
  }[];
  readonly latency: {
    readonly samples: number;
    readonly missed: number;
    readonly crMs: Stats;
    readonly firestoreMs: Stats;
    readonly bothMs: Stats;
  };
  readonly quiet: {
    readonly gaims: number;
    readonly reconciles: number;
    readonly apiWrites: number;
    /** Every write the API server counted, by resource, whoever made it. */
    readonly apiWritesByResource: Readonly<Record<string, number>>;
    /** Events written in the window, by reporting controller. */
    readonly eventWriters?: Readonly<Record<string, number>>;
    readonly firestoreDocumentsWritten: number;
    readonly firestoreDocuments: number;
  };
  readonly memory: {
    readonly gaims: number;
    readonly idleRssBytes: number;
    readonly idleHeapBytes: number;
    readonly rssBytes: number;
    readonly heapBytes: number;
    readonly heapTotalBytes: number;
    readonly externalBytes: number;
    /** The same Gaims after the resync, the latency samples and a quiet minute. */
    readonly settled?: { readonly rssBytes: number; readonly heapBytes: number; readonly heapTotalBytes: number };
  };
  readonly durationSeconds: number;
}

interface Stats { readonly p50: number; readonly p95: number; readonly p99: number; readonly max: number }

const TARGETS = { ratio: 1.3, p99Ms: 200, rssMiB: 200 };
const mib = (bytes: number) => bytes / 1024 / 1024;
const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');

/** Rows of [figure, value, target, verdict]. */
export function rows(r: BenchResult): string[][] {
  const out: string[][] = [];
  for (const c of r.convergence) {
    out.push([`convergence N=${String(c.n)}: operator / bare client`, `${c.operatorSeconds.toFixed(1)} s / ${c.bareClientSeconds.toFixed(1)} s = ${c.ratio.toFixed(2)}`, `≤ ${String(TARGETS.ratio)}`, verdict(c.ratio <= TARGETS.ratio)]);
    out.push([`API requests per Gaim, N=${String(c.n)} (reads / writes)`, `${c.readsPerGaim.toFixed(1)} / ${c.writesPerGaim.toFixed(1)}`, '', '']);
  }
  const l = r.latency;
  const ms = (s: Stats) => `${s.p50.toFixed(0)} / ${s.p95.toFixed(0)} / ${s.p99.toFixed(0)} ms`;
  out.push([`reaction latency p50/p95/p99, CR Synced (${String(l.samples)} samples, ${String(l.missed)} missed)`, ms(l.crMs), '', '']);
  out.push(['reaction latency p50/p95/p99, Firestore synced', ms(l.firestoreMs), '', '']);
  out.push(['reaction latency p50/p95/p99, both', ms(l.bothMs), `p99 ≤ ${String(TARGETS.p99Ms)} ms`, verdict(l.bothMs.p99 <= TARGETS.p99Ms)]);
  const q = r.quiet;
  out.push([`quiet resync of ${String(q.gaims)} unchanged Gaims (${String(q.reconciles)} reconciles): the operator's API writes`, String(q.apiWrites), '0', verdict(q.apiWrites === 0)]);
  out.push([`quiet resync: Firestore documents written (of ${String(q.firestoreDocuments)})`, String(q.firestoreDocumentsWritten), '0', verdict(q.firestoreDocumentsWritten === 0)]);
  const m = r.memory;
  out.push([`operator memory at ${String(m.gaims)} Gaims: RSS (heap used)`, `${mib(m.rssBytes).toFixed(0)} MiB (${mib(m.heapBytes).toFixed(0)} MiB)`, `≤ ${String(TARGETS.rssMiB)} MB`, verdict(m.rssBytes <= TARGETS.rssMiB * 1e6)]);
  out.push([`  of which V8 heap reserved / external (buffers)`, `${mib(m.heapTotalBytes).toFixed(0)} MiB / ${mib(m.externalBytes).toFixed(0)} MiB`, '', '']);
  if (m.settled !== undefined) {
    out.push([`  the same, after a quiet minute: RSS (heap used / reserved)`, `${mib(m.settled.rssBytes).toFixed(0)} MiB (${mib(m.settled.heapBytes).toFixed(0)} / ${mib(m.settled.heapTotalBytes).toFixed(0)} MiB)`,
      `≤ ${String(TARGETS.rssMiB)} MB`, verdict(m.settled.rssBytes <= TARGETS.rssMiB * 1e6)]);
  }
  out.push(['operator memory idle, no Gaims: RSS (heap used)', `${mib(m.idleRssBytes).toFixed(0)} MiB (${mib(m.idleHeapBytes).toFixed(0)} MiB)`, '', '']);
  return out;
}

function table(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

function markdown(r: BenchResult, header: string[], body: string[][]): string {
  return [
    `# gaim-operator benchmark`,
    '',
    `${r.when}, ${String(r.machine.cpus)} CPUs, Node ${r.machine.node}, ${String(r.workers)} workers; took ${(r.durationSeconds / 60).toFixed(1)} min. Command: \`make bench\`.`,
    '',
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...body.map((row) => `| ${row.join(' | ')} |`),
    '',
    `Quiet resync, every write the API server counted by resource (anyone's): \`${JSON.stringify(r.quiet.apiWritesByResource)}\`; events written in the window by reporter: \`${JSON.stringify(r.quiet.eventWriters ?? {})}\``,
    '',
    '![convergence time against N](convergence.png)',
    '',
  ].join('\n');
}

/** Convergence time against N for the operator and the bare client, as SVG. */
export function chartSvg(r: BenchResult): string {
  const [w, h, left, bottom, top, right] = [640, 400, 70, 50, 40, 60];
  const points = [{ n: 0, operatorSeconds: 0, bareClientSeconds: 0 }, ...r.convergence];
  const maxN = Math.max(...points.map((p) => p.n), 1);
  const maxT = Math.max(...points.flatMap((p) => [p.operatorSeconds, p.bareClientSeconds]), 1) * 1.1;
  const x = (n: number) => left + (n / maxN) * (w - left - right);
  const y = (t: number) => h - bottom - (t / maxT) * (h - bottom - top);
  // Operator labels above-left of their points, bare-client labels below-right: they never overlap.
  const series = (key: 'operatorSeconds' | 'bareClientSeconds', color: string, above: boolean) => [
    `<polyline fill="none" stroke="${color}" stroke-width="2.5" points="${points.map((p) => `${x(p.n).toFixed(1)},${y(p[key]).toFixed(1)}`).join(' ')}"/>`,
    ...points.slice(1).map((p) => `<circle cx="${x(p.n).toFixed(1)}" cy="${y(p[key]).toFixed(1)}" r="4" fill="${color}"/>`
      + `<text x="${(x(p.n) + (above ? -8 : 8)).toFixed(1)}" y="${(y(p[key]) + (above ? -8 : 18)).toFixed(1)}" font-size="12" fill="${color}" text-anchor="${above ? 'end' : 'start'}">${p[key].toFixed(0)} s</text>`),
  ].join('');
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const t = f * maxT;
    return `<line x1="${String(left)}" x2="${String(w - right)}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#ddd"/><text x="${String(left - 8)}" y="${(y(t) + 4).toFixed(1)}" font-size="12" text-anchor="end">${t.toFixed(0)}</text>`;
  }).join('');
  const nTicks = points.map((p) => `<text x="${x(p.n).toFixed(1)}" y="${String(h - bottom + 18)}" font-size="12" text-anchor="middle">${String(p.n)}</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${String(w)}" height="${String(h)}" font-family="DejaVu Sans, Liberation Sans, sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${String(w / 2)}" y="24" font-size="16" text-anchor="middle">Time to converge N Gaims (Synced in CR and Firestore)</text>
${ticks}${nTicks}
<line x1="${String(left)}" x2="${String(left)}" y1="${String(top)}" y2="${String(h - bottom)}" stroke="#333"/>
<line x1="${String(left)}" x2="${String(w - right)}" y1="${String(h - bottom)}" y2="${String(h - bottom)}" stroke="#333"/>
<text x="${String((left + w - right) / 2)}" y="${String(h - 12)}" font-size="13" text-anchor="middle">N (Gaims applied at once)</text>
<text x="18" y="${String(h / 2)}" font-size="13" text-anchor="middle" transform="rotate(-90 18 ${String(h / 2)})">seconds</text>
${series('bareClientSeconds', '#888', false)}${series('operatorSeconds', '#1f6feb', true)}
<rect x="${String(left + 15)}" y="${String(top + 10)}" width="12" height="12" fill="#1f6feb"/><text x="${String(left + 33)}" y="${String(top + 21)}" font-size="13">operator</text>
<rect x="${String(left + 15)}" y="${String(top + 32)}" width="12" height="12" fill="#888"/><text x="${String(left + 33)}" y="${String(top + 43)}" font-size="13">bare client (same objects, seeding, concurrency)</text>
</svg>`;
}

/** Writes latest.json, latest.md and convergence.png into `dir`; returns the printed table. */
export async function writeReport(r: BenchResult, dir: string): Promise<string> {
  const header = ['figure', 'value', 'target', 'verdict'];
  const body = rows(r);
  await writeFile(join(dir, 'latest.json'), `${JSON.stringify(r, null, 2)}\n`);
  await writeFile(join(dir, 'latest.md'), markdown(r, header, body));
  await writeFile(join(dir, 'convergence.png'), new Resvg(chartSvg(r), { font: { loadSystemFonts: true } }).render().asPng());
  return `${table(header, body)}\n\nwritten: ${join(dir, 'latest.json')}, latest.md, convergence.png`;
}
