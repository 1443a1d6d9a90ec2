import { describe, expect, it } from 'vitest';
import { fcvAction, majorMinor, setFcvCommand, type VersionRecord } from './feature-compatibility.js';

const NOW = new Date('2026-12-01T12:00:00Z');
const DAY = 86_400;
const record = (server: string, fcv: string | undefined, sinceHoursAgo: number): VersionRecord => ({
  image: 'mongo:8.0.4', server, ...(fcv === undefined ? {} : { featureCompatibilityVersion: fcv }),
  since: new Date(NOW.getTime() - sinceHoursAgo * 3_600_000).toISOString(),
});

describe('fcvAction', () => {
  it.each<[string, VersionRecord, ReturnType<typeof fcvAction>['action'], string?]>([
    ['a major upgrade that ran healthy past its burn-in: raise to the server\'s version', record('8.0.4', '7.0', 25), 'raise', '8.0'],
    ['a major upgrade still in its burn-in: wait', record('8.0.4', '7.0', 23), 'wait'],
    ['FCV already the server\'s', record('8.0.4', '8.0', 1000), 'none'],
    ['a patch upgrade', record('7.0.41', '7.0', 1000), 'none'],
    ['a downgraded binary on a lowered FCV: never raised above the server, never lowered', record('7.0.41', '7.0', 1000), 'none'],
    ['a server running below its FCV (cannot happen with mongod): never lowered', record('7.0.41', '8.0', 1000), 'none'],
    ['a server without featureCompatibilityVersion (FerretDB)', record('7.0.77', undefined, 1000), 'none'],
    ['a major upgrade whose server is not ready now (its burn-in starts again when it is)', { ...record('8.0.4', '7.0', 1000), since: undefined }, 'none'],
    ['versions that are not numbers', record('unknown', '7.0', 1000), 'none'],
  ])('%s', (_name, r, action, to) => {
    const result = fcvAction(r, DAY, NOW);
    expect(result.action).toBe(action);
    if (to !== undefined) expect(result).toEqual({ action: 'raise', to });
  });

  it('waits until the burn-in ends, counted from when the new version first ran ready', () => {
    const r = record('8.0.4', '7.0', 23);
    expect(fcvAction(r, DAY, NOW)).toEqual({ action: 'wait', untilMs: NOW.getTime() + 3_600_000 });
    expect(fcvAction(r, 0, NOW)).toEqual({ action: 'raise', to: '8.0' });
  });

  it('asks MongoDB 7.0 and later for the confirmation they insist on', () => {
    expect(setFcvCommand('8.0')).toEqual({ setFeatureCompatibilityVersion: '8.0', confirm: true });
    expect(setFcvCommand('6.0')).toEqual({ setFeatureCompatibilityVersion: '6.0' });
    expect(majorMinor('8.0.4-rc1')).toEqual([8, 0]);
  });
});
