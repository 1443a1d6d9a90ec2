// The benchmark's output: one table (printed, and as Markdown), the raw figures as JSON, and a chart
// of convergence time against N drawn as SVG and rendered to PNG with resvg.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { memoryChartSvg, type MemoryTimeline, type PhaseMemory } from './memory.js';

export interface BenchResult {
  readonly when: string;
  /** The command as run, with any BENCH_* knobs that made it a trial rather than the full benchmark. */
  readonly command?: string;
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
    /** This side's own status write seen on its watch, sampled between the operator's. */
    readonly floorSamples?: number;
    readonly floorMs?: Stats;
    /** The operator's p99 (both) over the floor's. */
    readonly p99Ratio?: number;
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
    /** binaryBytes: the resident pages of node's own executable (its code, and ICU data once touched). */
    readonly settled?: { readonly rssBytes: number; readonly heapBytes: number; readonly heapTotalBytes: number; readonly binaryBytes?: number; readonly afterScrapeRssBytes?: number; readonly scrapeBytes?: number };
    readonly nodeOptions?: string;
    /** Flags on `node` in the image's entry point. */
    readonly nodeArgs?: string;
    /** Peak and last RSS of each phase of the timeline. */
    readonly phases?: readonly PhaseMemory[];
    /** The operator restarted with every Gaim there: all reconciled at once. */
    readonly coldStart?: { readonly gaims: number; readonly seconds: number; readonly quietRssBytes: number };
    /** `failed`: the extra Gaims did not all converge in the step's time (what they waited on). */
    readonly scale?: { readonly gaims: number; readonly convergeSeconds: number; readonly quietRssBytes: number; readonly failed?: string };
    readonly timeline?: MemoryTimeline;
  };
  readonly commit?: { readonly sha: string; readonly dirty: boolean };
  readonly durationSeconds: number;
}

interface Stats { readonly p50: number; readonly p95: number; readonly p99: number; readonly max: number }

const TARGETS = { ratio: 1.3, p99Ms: 200, rssMiB: 200, peakRssMiB: 200, quietRssMiB: 160, idleRssMiB: 100, latencyRatio: 3 };
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
  out.push(['reaction latency p50/p95/p99, both', ms(l.bothMs), '', '']);
  if (l.floorMs !== undefined && l.p99Ratio !== undefined) {
    out.push([`latency floor p50/p95/p99: a status write seen on the watch (${String(l.floorSamples ?? 0)} samples)`, ms(l.floorMs), '', '']);
    out.push(['reaction latency p99 ÷ floor p99', l.p99Ratio.toFixed(2), `≤ ${String(TARGETS.latencyRatio)}`, verdict(l.p99Ratio <= TARGETS.latencyRatio)]);
  }
  const q = r.quiet;
  out.push([`quiet resync of ${String(q.gaims)} unchanged Gaims (${String(q.reconciles)} reconciles): the operator's API writes`, String(q.apiWrites), '0', verdict(q.apiWrites === 0)]);
  out.push([`quiet resync: Firestore documents written (of ${String(q.firestoreDocuments)})`, String(q.firestoreDocumentsWritten), '0', verdict(q.firestoreDocumentsWritten === 0)]);
  const m = r.memory;
  const phases = m.phases ?? [];
  const peakOf = (match: (name: string) => boolean) => Math.max(...phases.filter((p) => match(p.name)).map((p) => p.peakRssMiB));
  const upTo = m.gaims;
  const busy = (name: string) => name.startsWith('converge +') || name === `converge to ${String(upTo)}` || name.startsWith('cold start');
  if (phases.length > 0) {
    const peak = peakOf(busy);
    out.push([`operator RSS, peak of every sample while converging up to ${String(upTo)} Gaims and at their cold start`, `${peak.toFixed(0)} MiB`, `≤ ${String(TARGETS.peakRssMiB)} MiB`, verdict(peak <= TARGETS.peakRssMiB)]);
    const cold = phases.find((p) => p.name.startsWith('cold start'));
    if (cold !== undefined && m.coldStart !== undefined) out.push([`  cold start: ${String(m.coldStart.gaims)} Gaims reconciled at once in ${m.coldStart.seconds.toFixed(0)} s; its peak RSS (heap used)`, `${cold.peakRssMiB.toFixed(0)} MiB (${cold.peakHeapUsedMiB.toFixed(0)} MiB)`, '', '']);
  }
  out.push([`operator memory at ${String(m.gaims)} Gaims right after converging: RSS (heap used)`, `${mib(m.rssBytes).toFixed(0)} MiB (${mib(m.heapBytes).toFixed(0)} MiB)`, '', '']);
  out.push([`  of which V8 heap reserved / external (buffers)`, `${mib(m.heapTotalBytes).toFixed(0)} MiB / ${mib(m.externalBytes).toFixed(0)} MiB`, '', '']);
  if (m.settled !== undefined) {
    out.push([`operator RSS at ${String(m.gaims)} Gaims, quiet (after the resync, the latency samples and a quiet minute): RSS (heap used / reserved)`, `${mib(m.settled.rssBytes).toFixed(0)} MiB (${mib(m.settled.heapBytes).toFixed(0)} / ${mib(m.settled.heapTotalBytes).toFixed(0)} MiB)`,
      `≤ ${String(TARGETS.quietRssMiB)} MiB`, verdict(mib(m.settled.rssBytes) <= TARGETS.quietRssMiB)]);
    if (m.settled.binaryBytes !== undefined) out.push([`  of which node's own executable (code pages, file-backed)`, `${mib(m.settled.binaryBytes).toFixed(0)} MiB`, '', '']);
    if (m.settled.afterScrapeRssBytes !== undefined && m.settled.scrapeBytes !== undefined) {
      out.push([`  the same right after a /metrics scrape (${String(Math.round(m.settled.scrapeBytes / 1024))} KiB of series)`, `${mib(m.settled.afterScrapeRssBytes).toFixed(0)} MiB`, '', '']);
    }
  }
  if (m.coldStart !== undefined) out.push([`  the same, a quiet minute after the cold start`, `${mib(m.coldStart.quietRssBytes).toFixed(0)} MiB`, `≤ ${String(TARGETS.quietRssMiB)} MiB`, verdict(mib(m.coldStart.quietRssBytes) <= TARGETS.quietRssMiB)]);
  out.push(['operator memory idle, no Gaims: RSS (heap used)', `${mib(m.idleRssBytes).toFixed(0)} MiB (${mib(m.idleHeapBytes).toFixed(0)} MiB)`, `≤ ${String(TARGETS.idleRssMiB)} MiB`, verdict(mib(m.idleRssBytes) <= TARGETS.idleRssMiB)]);
  if (m.scale !== undefined && m.settled !== undefined) {
    const at = m.scale.gaims;
    const peak = peakOf((name) => name === `converge to ${String(at)}`);
    const perGaim = (mib(m.scale.quietRssBytes) - mib(m.settled.rssBytes)) / (at - m.gaims) * 1024;
    out.push([`at ${String(at)} Gaims: peak RSS while converging the extra ${String(at - m.gaims)} / quiet RSS`, `${peak.toFixed(0)} MiB / ${mib(m.scale.quietRssBytes).toFixed(0)} MiB`, '', '']);
    // Every extra Gaim exists, with its objects cached, whether or not its seed has run yet: the
    // growth is given either way, and says when some were still converging.
    const caveat = m.scale.failed === undefined ? '' : '; not every extra Gaim Synced yet (below)';
    out.push([`  growth per Gaim, quiet (${String(m.gaims)} → ${String(at)}${caveat})`, `${perGaim.toFixed(0)} KiB`, '', '']);
    if (m.scale.failed !== undefined) out.push(['  the extra Gaims that had not converged', m.scale.failed, '', '']);
  }
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
    `${r.when}, ${String(r.machine.cpus)} CPUs, Node ${r.machine.node}, ${String(r.workers)} workers; took ${(r.durationSeconds / 60).toFixed(1)} min. Command: \`${r.command ?? 'make bench'}\`.`
      + `${r.commit === undefined ? '' : ` Commit ${r.commit.sha.slice(0, 12)}${r.commit.dirty ? ' (with uncommitted changes)' : ''}.`}${r.memory.nodeOptions === undefined ? '' : ` NODE_OPTIONS: \`${r.memory.nodeOptions}\`.`}${r.memory.nodeArgs === undefined ? '' : ` Entry point: \`node ${r.memory.nodeArgs}\`.`}`,
    '',
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...body.map((row) => `| ${row.join(' | ')} |`),
    '',
    `Quiet resync, every write the API server counted by resource (anyone's): \`${JSON.stringify(r.quiet.apiWritesByResource)}\`; events written in the window by reporter: \`${JSON.stringify(r.quiet.eventWriters ?? {})}\``,
    '',
    '![convergence time against N](convergence.png)',
    '',
    ...(r.memory.timeline === undefined ? [] : ['![operator memory through the benchmark](memory.png)', '']),
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
  if (r.memory.timeline !== undefined) {
    await writeFile(join(dir, 'memory.png'), new Resvg(memoryChartSvg(r.memory.timeline, TARGETS.peakRssMiB, TARGETS.quietRssMiB), { font: { loadSystemFonts: true } }).render().asPng());
  }
  return `${table(header, body)}\n\nwritten: ${join(dir, 'latest.json')}, latest.md, convergence.png${r.memory.timeline === undefined ? '' : ', memory.png'}`;
}
