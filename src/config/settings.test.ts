import { describe, expect, it } from 'vitest';
import { parseSettings, SettingsError, settingsHelp, SETTINGS } from './settings.js';

describe('parseSettings', () => {
  it('has a default for everything it needs, and freezes the result', () => {
    const settings = parseSettings({ POD_NAMESPACE: 'ops', GOOGLE_CLOUD_PROJECT: 'lc-prod' });
    expect(settings).toMatchObject({
      watchNamespaces: [],
      workers: 4,
      backoff: { baseMs: 1000, capMs: 300_000, jitter: 0.2 },
      leaderElection: { enabled: true, namespace: 'ops', name: 'gaim-operator-leader', leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2000 },
      healthPort: 8081,
      metricsPort: 8080,
      logLevel: 'info',
      firestore: { projectId: 'lc-prod', databaseId: '(default)' },
      overrides: { mongodb: undefined, redis: undefined },
    });
    expect(Object.isFrozen(settings.leaderElection)).toBe(true);
  });

  it('reads lists, numbers and booleans', () => {
    const settings = parseSettings({ GAIM_WATCH_NAMESPACES: 'a, b,,c', GAIM_WORKERS: '8', GAIM_LEADER_ELECT: 'false', GAIM_REDIS_ADDRESS_OVERRIDE: '127.0.0.1:6380' });
    expect(settings.watchNamespaces).toEqual(['a', 'b', 'c']);
    expect(settings.workers).toBe(8);
    expect(settings.leaderElection.enabled).toBe(false);
    expect(settings.overrides.redis).toBe('127.0.0.1:6380');
  });

  it.each([
    [{ GAIM_WORKERS: 'many' }, 'invalid setting GAIM_WORKERS="many": expected an integer from 1 to 64'],
    [{ GAIM_WORKERS: '0' }, 'invalid setting GAIM_WORKERS="0": expected an integer from 1 to 64'],
    [{ GAIM_LEADER_ELECT: 'yes' }, 'invalid setting GAIM_LEADER_ELECT="yes": expected true or false'],
    [{ GAIM_LOG_LEVEL: 'loud' }, 'invalid setting GAIM_LOG_LEVEL="loud"'],
    [{ GAIM_REDIS_ADDRESS_OVERRIDE: 'redis' }, 'invalid setting GAIM_REDIS_ADDRESS_OVERRIDE="redis": expected host:port'],
    [{ GAIM_RENEW_DEADLINE_SECONDS: '20' }, 'GAIM_RENEW_DEADLINE_SECONDS=20: must be less than GAIM_LEASE_DURATION_SECONDS (15)'],
    [{ GAIM_BACKOFF_CAP_MS: '500' }, 'GAIM_BACKOFF_CAP_MS=500: must be at least GAIM_BACKOFF_BASE_MS (1000)'],
    [{ GAIM_HEALTH_PORT: '9000', GAIM_METRICS_PORT: '9000' }, 'must differ from GAIM_HEALTH_PORT'],
    [{ GAIM_WORKRES: '4' }, 'unknown setting GAIM_WORKRES'],
    [{ GAIM_IMAGE_PULL_SECRETS: 'Registry A' }, 'invalid setting GAIM_IMAGE_PULL_SECRETS="Registry A": expected Secret names separated by commas'],
  ])('refuses %j with one line', (env, message) => {
    let error: unknown;
    try {
      parseSettings(env);
    } catch (caught: unknown) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SettingsError);
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('lists every setting with its default in the help', () => {
    const help = settingsHelp();
    for (const key of Object.keys(SETTINGS)) expect(help).toContain(key);
    expect(help).toMatch(/GAIM_WORKERS\s+Gaims reconciled concurrently\. \[default: "4"\]/);
  });
});
