// The monitoring the chart ships, rendered by `helm template` (no cluster needed): the Grafana
// dashboard ConfigMap only when asked for, labelled for the sidecar, holding a dashboard whose every
// query names only metrics the operator exports; the PrometheusRule's alerts likewise, each with a
// description and a runbook that exists in docs/runbooks/.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../stack/stack.js';
import { startOperator } from '../support/operator.js';
import { metricValue, type OperatorProcess } from '../support/operator-process.js';
import { createNamespace, eventually } from '../support/stack.js';

const chart = join(repoRoot, 'helm', 'gaim-operator');
const DASHBOARD_FILE = join(chart, 'dashboards', 'gaim-operator.json');
const DASHBOARD_KEY = 'gaim-operator.json';

/** The queue prober's gauges (#17), labelled namespace, gaim, env: the queue alerts and panels rest on them. */
const QUEUE_METRICS = [
  'gaim_stream_length', 'gaim_stream_lag', 'gaim_stream_pending', 'gaim_stream_oldest_pending_seconds',
  'gaim_stream_max_deliveries', 'gaim_stream_consumers_idle', 'gaim_dlq_length',
];

interface Doc { kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; data?: Record<string, string>; spec?: unknown }

async function helmTemplate(...set: string[]): Promise<{ ok: boolean; output: string; docs: Doc[] }> {
  try {
    const { stdout } = await promisify(execFile)(join(repoRoot, 'bin', 'helm'), ['template', 'gaim', chart, '-n', 'monitoring-test', ...set.flatMap((v) => ['--set', v])]);
    return { ok: true, output: stdout, docs: parseAllDocuments(stdout).map((d) => d.toJS() as unknown).filter((d): d is Doc => typeof d === 'object' && d !== null) };
  } catch (error: unknown) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    return { ok: false, output: stdout + stderr, docs: [] };
  }
}

/**
 * Every metric a running operator exports: the `# TYPE` lines of its /metrics (a labelled metric is
 * declared there before its first series), a histogram's series too (_bucket, _sum, _count). One
 * operator, on a namespace with nothing in it, serves the file.
 */
let scraped: Promise<Set<string>> | undefined;
let idleOperator: OperatorProcess | undefined;
async function exportedMetrics(): Promise<Set<string>> {
  scraped ??= (async () => {
    idleOperator = await startOperator(await createNamespace('scrape'));
    const operator = idleOperator;
    await eventually('the operator to be ready', async () => ((await operator.readyz()) === 200 ? true : undefined));
    const names = new Set<string>();
    for (const [, name = '', type = ''] of (await operator.metrics()).matchAll(/^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)$/gm)) {
      names.add(name);
      if (type === 'histogram' || type === 'summary') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
    }
    return names;
  })();
  return scraped;
}
afterAll(async () => { await idleOperator?.stop(); });

const PROMQL_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/**
 * The metric names a PromQL expression (or a Grafana label_values() variable query) selects: what
 * is left once strings, label matchers, ranges, label lists, durations and Grafana's $variables are
 * taken out, except functions and keywords.
 */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
    .replace(/\boffset\s+\d+[smhdwy]+/g, '')
    .replace(/\$\{?\w+\}?/g, '')
    .replace(/^label_values\((.*),\s*\w+\)$/s, '$1');
  const names: string[] = [];
  for (const match of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const rest = bare.slice((match.index) + match[0].length).trimStart();
    const before = bare.slice(0, match.index);
    if (rest.startsWith('(') || PROMQL_KEYWORDS.has(match[0].toLowerCase()) || /\d$/.test(before)) continue;
    names.push(match[0]);
  }
  return [...new Set(names)];
}

interface Panel { type: string; title?: string; id?: number; gridPos?: { x: number; w: number }; panels?: Panel[]; targets?: { expr?: string }[] }

const allPanels = (panels: readonly Panel[]): Panel[] => panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);

describe('monitoring shipped with the chart', () => {
  it('reads metric names out of PromQL as the checks below need', () => {
    expect(metricNames('sum by (controller, le) (rate(controller_runtime_reconcile_time_seconds_bucket{job=~"$job"}[$__rate_interval]))'))
      .toEqual(['controller_runtime_reconcile_time_seconds_bucket']);
    expect(metricNames('max by (namespace, gaim, env) (gaim_dlq_length) > max by (namespace, gaim, env) (gaim_dlq_length offset 30m)')).toEqual(['gaim_dlq_length']);
    expect(metricNames('time() - max(a_metric{x="y"}) or absent(b_metric) and c_metric >= 0.99')).toEqual(['a_metric', 'b_metric', 'c_metric']);
    expect(metricNames('label_values(gaim_stream_length{job=~"$job"}, namespace)')).toEqual(['gaim_stream_length']);
  });

  it('finds the running operator\'s metrics on its /metrics, the queue prober\'s among them', async () => {
    const known = await exportedMetrics();
    for (const name of [...QUEUE_METRICS, 'controller_runtime_reconcile_total', 'controller_runtime_reconcile_time_seconds_bucket', 'rest_client_requests_total']) {
      expect(known.has(name), name).toBe(true);
    }
  });

  describe('the Grafana dashboard', () => {
    it('is not rendered unless asked for', async () => {
      const rendered = await helmTemplate();
      expect(rendered.ok, rendered.output).toBe(true);
      expect(rendered.docs.filter((d) => d.kind === 'ConfigMap' && d.data?.[DASHBOARD_KEY] !== undefined)).toEqual([]);
    });

    it('is a ConfigMap labelled for the Grafana sidecar when enabled; label, namespace and annotations are values', async () => {
      const byDefault = await helmTemplate('grafanaDashboard.enabled=true');
      const [configMap] = byDefault.docs.filter((d) => d.kind === 'ConfigMap' && d.data?.[DASHBOARD_KEY] !== undefined);
      expect(configMap?.metadata).toMatchObject({ name: 'gaim-gaim-operator-dashboard', namespace: 'monitoring-test', labels: { grafana_dashboard: '1', 'app.kubernetes.io/name': 'gaim-operator' } });

      const custom = await helmTemplate('grafanaDashboard.enabled=true', 'grafanaDashboard.labels.grafana_dashboard=null', 'grafanaDashboard.labels.dashboards=gaim',
        'grafanaDashboard.namespace=grafana', 'grafanaDashboard.annotations.grafana_folder=Platform');
      const [relabelled] = custom.docs.filter((d) => d.kind === 'ConfigMap' && d.data?.[DASHBOARD_KEY] !== undefined);
      expect(relabelled?.metadata.labels?.['dashboards']).toBe('gaim');
      expect(relabelled?.metadata.labels).not.toHaveProperty('grafana_dashboard');
      expect(relabelled?.metadata).toMatchObject({ namespace: 'grafana', annotations: { grafana_folder: 'Platform' } });
    });

    it.each([['grafanaDashboard.enabeld=true', "additional properties 'enabeld' not allowed"], ['grafanaDashboard.namespace=Not_A_Namespace', "at '/grafanaDashboard/namespace'"]])(
      'refuses a wrong value (%s) through values.schema.json', async (value, message) => {
        const rendered = await helmTemplate(value);
        expect(rendered.ok).toBe(false);
        expect(rendered.output).toContain(message);
      });

    it('holds the chart\'s dashboard JSON, every panel querying only metrics the operator exports', async () => {
      const rendered = await helmTemplate('grafanaDashboard.enabled=true');
      const text = rendered.docs.find((d) => d.kind === 'ConfigMap' && d.data?.[DASHBOARD_KEY] !== undefined)?.data?.[DASHBOARD_KEY] ?? '';
      const dashboard = JSON.parse(text) as { uid: string; title: string; panels: Panel[]; templating: { list: { name: string; query?: string | { query: string } }[] } };
      expect(dashboard).toEqual(JSON.parse(await readFile(DASHBOARD_FILE, 'utf8')));
      expect(dashboard).toMatchObject({ uid: 'gaim-operator', title: 'gaim-operator' });

      const known = await exportedMetrics();
      const panels = allPanels(dashboard.panels).filter((p) => p.type !== 'row');
      expect(panels.length).toBeGreaterThan(10);
      expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
      const used = new Set<string>();
      for (const panel of panels) {
        expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
        expect((panel.gridPos?.x ?? 0) + (panel.gridPos?.w ?? 0), panel.title).toBeLessThanOrEqual(24);
        for (const target of panel.targets ?? []) {
          const names = metricNames(target.expr ?? '');
          expect(names.length, `${panel.title ?? ''}: ${target.expr ?? ''}`).toBeGreaterThan(0);
          for (const name of names) {
            expect(known.has(name), `${panel.title ?? ''} queries ${name}, which the operator does not export`).toBe(true);
            used.add(name);
          }
        }
      }
      for (const variable of dashboard.templating.list) {
        const query = typeof variable.query === 'string' ? variable.query : variable.query?.query ?? '';
        if (!query.startsWith('label_values(')) continue;
        for (const name of metricNames(query)) expect(known.has(name), `variable ${variable.name} queries ${name}`).toBe(true);
      }
      // The panels asked for: reconciles and errors, queue depth, latency, the task queues, backups, API requests.
      for (const name of ['controller_runtime_reconcile_total', 'controller_runtime_reconcile_errors_total', 'workqueue_depth',
        'controller_runtime_reconcile_time_seconds_bucket', 'gaim_stream_lag', 'gaim_stream_pending', 'gaim_stream_oldest_pending_seconds',
        'gaim_dlq_length', 'gaim_backup_last_success_timestamp_seconds', 'rest_client_requests_total']) {
        expect(used.has(name), name).toBe(true);
      }
    });
  });

  describe('the PrometheusRule', () => {
    it('gives every alert a description and a runbook in docs/runbooks/, and queries only metrics the operator exports', async () => {
      const rendered = await helmTemplate('prometheusRule.enabled=true');
      type Rule = { alert: string; expr: string; labels: { severity: string }; annotations: Record<string, string> };
      const rule = rendered.docs.find((d) => d.kind === 'PrometheusRule') as (Doc & { spec: { groups: { rules: Rule[] }[] } }) | undefined;
      const rules = rule?.spec.groups.flatMap((g) => g.rules) ?? [];
      expect(rules.map((r) => r.alert)).toEqual(['GaimOperatorNoLeader', 'GaimReconcileErrors', 'GaimTerminalErrors', 'GaimRetryStorm',
        'GaimBackupStale', 'GaimFinalBackupFailed', 'GaimBackupsFailing', 'GaimDeadLettersGrowing', 'GaimConsumersStalled', 'GaimPoisonTasks']);
      const known = await exportedMetrics();
      for (const { alert, expr, labels, annotations } of rules) {
        const page = `${alert.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()}.md`;
        expect(annotations['runbook_url'], alert).toBe(`https://github.com/livingcontent/gaim-operator/blob/main/docs/runbooks/${page}`);
        expect(existsSync(join(repoRoot, 'docs', 'runbooks', page)), `docs/runbooks/${page}`).toBe(true);
        expect(annotations['description']?.length ?? 0, alert).toBeGreaterThan(40);
        expect(annotations['summary']?.length ?? 0, alert).toBeGreaterThan(20);
        expect(['critical', 'warning']).toContain(labels.severity);
        const names = metricNames(expr);
        expect(names.length, alert).toBeGreaterThan(0);
        for (const name of names) expect(known.has(name), `${alert} queries ${name}, which the operator does not export`).toBe(true);
        // Each page names its alert, so a link that drifts to another page shows.
        expect(await readFile(join(repoRoot, 'docs', 'runbooks', page), 'utf8')).toContain(alert);
      }
    });

    it('links the runbooks under the base URL the values give', async () => {
      const rendered = await helmTemplate('prometheusRule.enabled=true', 'prometheusRule.runbookBaseUrl=https://wiki.example.com/sre/gaim');
      expect(rendered.output).toContain('runbook_url: https://wiki.example.com/sre/gaim/gaim-poison-tasks.md');
      const refused = await helmTemplate('prometheusRule.enabled=true', 'prometheusRule.runbookBaseUrl=https://wiki.example.com/sre/');
      expect(refused.ok).toBe(false);
      expect(refused.output).toContain("at '/prometheusRule/runbookBaseUrl'");
    });
  });

  it('keeps the metrics\' own namespace label when scraped (the alerts and panels group by it)', async () => {
    const rendered = await helmTemplate('serviceMonitor.enabled=true');
    const monitor = rendered.docs.find((d) => d.kind === 'ServiceMonitor') as (Doc & { spec: { endpoints: { honorLabels?: boolean }[] } }) | undefined;
    expect(monitor?.spec.endpoints[0]?.honorLabels).toBe(true);
  });
});

describe('the operator\'s per-controller series', () => {
  it('are there at zero before any event, so a rate() alert of a healthy idle operator reads 0, not "no data"', async () => {
    // A namespace with nothing in it: no event ever reaches the operator's queues.
    const operator = await startOperator(await createNamespace('idle-metrics'));
    try {
      await eventually('the operator to be ready', async () => ((await operator.readyz()) === 200 ? true : undefined));
      const text = await operator.metrics();
      // The backup catalog is cluster-scoped: earlier files' records may have reached its queue, so
      // its series need only be there; the namespaced controllers' are exactly zero.
      for (const controller of ['gaim', 'gaimbackup', 'gaimbackuprecord']) {
        const expected = controller === 'gaimbackuprecord' ? expect.any(Number) as unknown : 0;
        for (const result of ['success', 'error', 'requeue', 'requeue_after']) {
          expect(metricValue(text, 'controller_runtime_reconcile_total', { controller, result }), `${controller} ${result}`).toEqual(expected);
        }
        expect(metricValue(text, 'controller_runtime_reconcile_errors_total', { controller, error_type: 'kubernetes' }), controller).toEqual(expected);
        for (const name of ['workqueue_depth', 'workqueue_adds_total', 'workqueue_retries_total']) {
          expect(metricValue(text, name, { name: controller }), `${name} ${controller}`).toEqual(expected);
        }
      }
    } finally {
      await operator.stop();
    }
  });
});
