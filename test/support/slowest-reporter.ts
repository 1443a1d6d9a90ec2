import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

/** Busy and total CPU time of the whole machine so far, from /proc/stat (undefined off Linux). */
function cpuTimes(): { busy: number; total: number } | undefined {
  try {
    const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1, 9).map(Number); // guest time is already in user
    const total = fields.reduce((a, b) => a + b, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0); // idle and iowait
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/**
 * Prints, after an integration run, its ten slowest tests and ten slowest files: where the suite's
 * time goes, so the next capability's tests can be placed (and a file that must run alone is seen).
 * Then when each file was taken by a worker and when it ended, and how busy the machine's CPUs were over the run: a run
 * whose CPUs were busy nearly all the time is made faster only by doing less work, not by reordering.
 * Unit runs print nothing.
 */
export default class SlowestReporter implements Reporter {
  readonly #started = new Map<string, number>();
  readonly #ended = new Map<string, number>();
  #runStart = Date.now();
  #cpuAtStart = cpuTimes();

  onTestRunStart(): void {
    this.#runStart = Date.now();
    this.#cpuAtStart = cpuTimes();
  }

  /** When a worker took the file: the timeline shows waves and waits, not only the tests' own time. */
  onTestModuleQueued(module: TestModule): void {
    if (module.project.name === 'integration') this.#started.set(module.moduleId, Date.now());
  }

  onTestModuleEnd(module: TestModule): void {
    if (module.project.name === 'integration') this.#ended.set(module.moduleId, Date.now());
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const integration = modules.filter((m) => m.project.name === 'integration');
    if (integration.length === 0) return;
    const file = (m: TestModule) => relative(process.cwd(), m.moduleId);
    const tests = integration.flatMap((m) => [...m.children.allTests()].map((t) => ({ name: `${file(m)} > ${t.fullName}`, ms: t.diagnostic()?.duration ?? 0 })));
    const files = integration.map((m) => ({ name: file(m), ms: m.diagnostic().duration }));
    const table = (rows: { name: string; ms: number }[]) => rows.sort((a, b) => b.ms - a.ms).slice(0, 10)
      .map(({ name, ms }) => `  ${(ms / 1000).toFixed(1).padStart(7)} s  ${name}`).join('\n');
    const seconds = (at: number | undefined) => (at === undefined ? '      ?' : ((at - this.#runStart) / 1000).toFixed(0).padStart(7));
    const timeline = integration
      .map((m) => ({ name: file(m), start: this.#started.get(m.moduleId), end: this.#ended.get(m.moduleId) }))
      .sort((a, b) => (a.start ?? Infinity) - (b.start ?? Infinity))
      .map(({ name, start, end }) => `${seconds(start)} s ${seconds(end)} s  ${name}`).join('\n');
    const cpu = cpuTimes();
    const busy = cpu === undefined || this.#cpuAtStart === undefined ? 'unknown'
      : `${((100 * (cpu.busy - this.#cpuAtStart.busy)) / Math.max(1, cpu.total - this.#cpuAtStart.total)).toFixed(0)} %`;
    console.log(`\nThe ten slowest integration tests:\n${table(tests)}\nThe ten slowest integration files (tests and hooks):\n${table(files)}\n`
      + `\nWhen each file was taken by a worker and when it ended (seconds into the run):\n${timeline}\n`
      + `The machine's CPUs were busy ${busy} of the run (/proc/stat, every process on the machine).\n`);
  }
}
