import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nextSlot, previousSlot, scheduleProblem, schedulePeriodMs } from './cron.js';

describe('cron schedules', () => {
  it.each([['0 3 * * *'], ['*/15 * * * *'], ['@daily'], ['@hourly'], ['30 2 * * 1-5']])('takes %s', (expression) => {
    expect(scheduleProblem(expression)).toBeUndefined();
  });

  it.each([['0 3 * *', 'five fields'], ['0 0 3 * * *', 'five fields'], ['61 * * * *', ''], ['* * * * mon-xyz', ''], ['@fortnightly', 'five fields']])('refuses %s', (expression, why) => {
    const problem = scheduleProblem(expression);
    expect(problem).toBeDefined();
    expect(problem).toContain(why);
  });

  it('finds the slot at or before now, and the one after, in UTC', () => {
    const now = new Date('2026-12-01T03:00:00Z');
    expect(previousSlot('0 3 * * *', now)?.toISOString()).toBe('2026-12-01T03:00:00.000Z');
    expect(previousSlot('0 3 * * *', new Date('2026-12-01T02:59:59Z'))?.toISOString()).toBe('2026-11-30T03:00:00.000Z');
    expect(nextSlot('0 3 * * *', now)?.toISOString()).toBe('2026-12-02T03:00:00.000Z');
    expect(schedulePeriodMs('*/15 * * * *', now)).toBe(15 * 60_000);
    expect(schedulePeriodMs('@daily', now)).toBe(86_400_000);
  });

  it('loads cron-parser only when a Gaim has a schedule, not with the API module', () => {
    // In a process of its own: this file's other tests have loaded it here.
    const script = `
      import { createRequire } from 'node:module';
      const { parseGaim } = await import('./src/api/v1alpha1/validate.ts');
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((path) => path.includes('/cron-parser/'));
      const gaim = (spec) => ({ apiVersion: 'gaim.livingcontent.io/v1alpha1', kind: 'Gaim', metadata: { name: 'marvin', namespace: 'n' },
        spec: { gaimId: '8b01826a-8fc0-4fac-95fe-812d9ab518c5', displayName: 'G', environments: ['stage'], lancedb: { storage: { storageClassName: 'enterprise-multishare-rwx', size: '100Gi' } }, ...spec } });
      const without = parseGaim(gaim({})).ok;
      const before = loaded();
      const withSchedule = parseGaim(gaim({ backup: { schedule: '0 3 * * *' } })).ok;
      console.log(JSON.stringify({ without, before, withSchedule, after: loaded() }));
    `;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script],
      { encoding: 'utf8', cwd: fileURLToPath(new URL('..', import.meta.url)), timeout: 60_000 });
    expect(JSON.parse(out.trim().split('\n').at(-1) ?? '{}')).toEqual({ without: true, before: false, withSchedule: true, after: true });
  });
});
