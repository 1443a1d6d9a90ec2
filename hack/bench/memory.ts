// The operator's memory through the whole benchmark: RSS from /proc every second, and the V8 heap
// from the operator's /debug/memory (cheap, unlike /metrics at 1,000 Gaims), each sample tagged
// with the phase it fell in. Follows the operator across restarts (the cold start).
import { readFile } from 'node:fs/promises';

export interface MemoryTimeline {
  /** Seconds since the sampler started, per sample. */
  readonly t: number[];
  readonly rssMiB: number[];
  readonly heapUsedMiB: number[];
  /** Each phase and the index of its first sample. */
  readonly phases: { readonly name: string; readonly from: number }[];
}

export interface PhaseMemory {
  readonly name: string;
  readonly samples: number;
  readonly peakRssMiB: number;
  readonly lastRssMiB: number;
  readonly peakHeapUsedMiB: number;
}

const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

export class MemorySampler {
  readonly #timeline: { t: number[]; rssMiB: number[]; heapUsedMiB: number[]; phases: { name: string; from: number }[] } = { t: [], rssMiB: [], heapUsedMiB: [], phases: [] };
  #target: { pid: number; metricsPort: number } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
  readonly #started = performance.now();

  /** Samples the operator with this pid (and metrics port) from now on. */
  follow(pid: number, metricsPort: number): void {
    this.#target = { pid, metricsPort };
  }

  phase(name: string): void {
    this.#timeline.phases.push({ name, from: this.#timeline.t.length });
  }

  start(): void {
    this.#timer = setInterval(() => { void this.#sample(); }, 1000);
  }

  stop(): MemoryTimeline {
    clearInterval(this.#timer);
    return this.#timeline;
  }

  /** Peak and last RSS of every phase whose name matches. */
  summary(match: (name: string) => boolean = () => true): PhaseMemory[] {
    const { phases, rssMiB, heapUsedMiB } = this.#timeline;
    return phases.flatMap((p, i) => {
      if (!match(p.name)) return [];
      const to = phases[i + 1]?.from ?? rssMiB.length;
      const rss = rssMiB.slice(p.from, to);
      const heap = heapUsedMiB.slice(p.from, to).filter((h) => Number.isFinite(h));
      return rss.length === 0 ? [] : [{ name: p.name, samples: rss.length, peakRssMiB: Math.max(...rss), lastRssMiB: rss.at(-1) ?? NaN, peakHeapUsedMiB: heap.length === 0 ? NaN : Math.max(...heap) }];
    });
  }

  async #sample(): Promise<void> {
    const target = this.#target;
    if (target === undefined || this.#busy) return;
    this.#busy = true;
    try {
      const status = await readFile(`/proc/${String(target.pid)}/status`, 'utf8').catch(() => '');
      const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? NaN);
      if (!Number.isFinite(kb)) return; // between an operator's exit and its successor
      const usage = await fetch(`http://127.0.0.1:${String(target.metricsPort)}/debug/memory`, { signal: AbortSignal.timeout(900) })
        .then((r) => r.json() as Promise<{ heapUsed: number }>).catch(() => undefined);
      this.#timeline.t.push(Math.round((performance.now() - this.#started) / 100) / 10);
      this.#timeline.rssMiB.push(mib(kb * 1024));
      this.#timeline.heapUsedMiB.push(usage === undefined ? NaN : mib(usage.heapUsed));
    } finally {
      this.#busy = false;
    }
  }
}

/** RSS and heap used against time, the phases shaded, the target drawn: SVG. */
export function memoryChartSvg(timeline: MemoryTimeline, targetMiB: number, quietTargetMiB: number): string {
  const [w, h, left, bottom, top, right] = [960, 420, 60, 90, 40, 20];
  const maxT = Math.max(...timeline.t, 1);
  const maxM = Math.max(targetMiB * 1.15, ...timeline.rssMiB.filter(Number.isFinite)) * 1.05;
  const x = (t: number) => left + (t / maxT) * (w - left - right);
  const y = (m: number) => h - bottom - (m / maxM) * (h - bottom - top);
  const line = (values: readonly number[], color: string) => {
    const points = values.map((v, i) => (Number.isFinite(v) ? `${x(timeline.t[i] ?? 0).toFixed(1)},${y(v).toFixed(1)}` : '')).filter(Boolean);
    return `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${points.join(' ')}"/>`;
  };
  const bands = timeline.phases.map((p, i) => {
    const from = timeline.t[p.from] ?? 0;
    const to = timeline.t[(timeline.phases[i + 1]?.from ?? timeline.t.length) - 1] ?? maxT;
    const mid = (x(from) + x(to)) / 2;
    return `<rect x="${x(from).toFixed(1)}" y="${String(top)}" width="${Math.max(0, x(to) - x(from)).toFixed(1)}" height="${String(h - bottom - top)}" fill="${i % 2 === 0 ? '#f4f6fa' : '#ffffff'}"/>`
      + `<text transform="translate(${mid.toFixed(1)},${String(h - bottom + 10)}) rotate(35)" font-size="10" fill="#555">${p.name}</text>`;
  }).join('');
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const m = f * maxM;
    return `<line x1="${String(left)}" x2="${String(w - right)}" y1="${y(m).toFixed(1)}" y2="${y(m).toFixed(1)}" stroke="#e3e3e3"/><text x="${String(left - 6)}" y="${(y(m) + 4).toFixed(1)}" font-size="11" text-anchor="end">${m.toFixed(0)}</text>`;
  }).join('');
  const limit = (m: number, label: string) => `<line x1="${String(left)}" x2="${String(w - right)}" y1="${y(m).toFixed(1)}" y2="${y(m).toFixed(1)}" stroke="#d1242f" stroke-dasharray="6 4"/>`
    + `<text x="${String(w - right - 4)}" y="${(y(m) - 4).toFixed(1)}" font-size="11" text-anchor="end" fill="#d1242f">${label}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${String(w)}" height="${String(h)}" font-family="DejaVu Sans, Liberation Sans, sans-serif">
<rect width="100%" height="100%" fill="white"/>${bands}${ticks}
<text x="${String(w / 2)}" y="24" font-size="15" text-anchor="middle">Operator memory through the benchmark (MiB, one sample a second)</text>
${limit(targetMiB, `${String(targetMiB)} MiB: every sample`)}${limit(quietTargetMiB, `${String(quietTargetMiB)} MiB: quiet`)}
${line(timeline.heapUsedMiB, '#8250df')}${line(timeline.rssMiB, '#1f6feb')}
<line x1="${String(left)}" x2="${String(left)}" y1="${String(top)}" y2="${String(h - bottom)}" stroke="#333"/>
<rect x="${String(left + 12)}" y="${String(top + 8)}" width="12" height="12" fill="#1f6feb"/><text x="${String(left + 30)}" y="${String(top + 19)}" font-size="12">RSS</text>
<rect x="${String(left + 72)}" y="${String(top + 8)}" width="12" height="12" fill="#8250df"/><text x="${String(left + 90)}" y="${String(top + 19)}" font-size="12">V8 heap used</text>
</svg>`;
}
