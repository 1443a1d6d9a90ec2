import { relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints, after an integration run, its ten slowest tests and ten slowest files: where the suite's
 * time goes, so the next capability's tests can be placed (and a file that must run alone is seen).
 * Unit runs print nothing.
 */
export default class SlowestReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const integration = modules.filter((m) => m.project.name === 'integration');
    if (integration.length === 0) return;
    const file = (m: TestModule) => relative(process.cwd(), m.moduleId);
    const tests = integration.flatMap((m) => [...m.children.allTests()].map((t) => ({ name: `${file(m)} > ${t.fullName}`, ms: t.diagnostic()?.duration ?? 0 })));
    const files = integration.map((m) => ({ name: file(m), ms: m.diagnostic().duration }));
    const table = (rows: { name: string; ms: number }[]) => rows.sort((a, b) => b.ms - a.ms).slice(0, 10)
      .map(({ name, ms }) => `  ${(ms / 1000).toFixed(1).padStart(7)} s  ${name}`).join('\n');
    console.log(`\nThe ten slowest integration tests:\n${table(tests)}\nThe ten slowest integration files (tests and hooks):\n${table(files)}\n`);
  }
}
