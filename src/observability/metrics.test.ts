import { describe, expect, it } from 'vitest';
import { ERROR_TYPES } from '../errors.js';
import { Metrics } from './metrics.js';

describe('a controller\'s series before its first event', () => {
  it('are all there at zero, as controller-runtime and client-go start theirs', async () => {
    const metrics = new Metrics();
    expect(await metrics.registry.getSingleMetricAsString('controller_runtime_reconcile_total')).not.toContain('controller="gaim"');
    metrics.initController('gaim');
    const text = await metrics.registry.metrics();
    for (const result of ['success', 'error', 'requeue', 'requeue_after']) expect(text).toContain(`controller_runtime_reconcile_total{controller="gaim",result="${result}"} 0`);
    for (const errorType of ERROR_TYPES) expect(text).toContain(`controller_runtime_reconcile_errors_total{controller="gaim",error_type="${errorType}"} 0`);
    for (const name of ['workqueue_depth', 'workqueue_adds_total', 'workqueue_retries_total']) expect(text).toContain(`${name}{name="gaim",controller="gaim"} 0`);
  });
});
