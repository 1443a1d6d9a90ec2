import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RequestObserver } from '../kube/client.js';

/** Hooks for the workqueue_* metrics, called by the controller's work queue. */
export interface QueueMetrics {
  depth(value: number): void;
  added(): void;
  retried(): void;
  /** Seconds a key waited between being added and being handed to a worker. */
  waited(seconds: number): void;
  /** Seconds a worker held a key. */
  worked(seconds: number): void;
}

const CONTROLLER = 'gaim';

/**
 * The operator's Prometheus metrics. Names and labels follow controller-runtime where a series has
 * a counterpart there, so dashboards and alerts written for Go operators work unchanged.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly reconcileTotal = new Counter({ name: 'controller_runtime_reconcile_total', help: 'Total number of reconciliations per controller', labelNames: ['controller', 'result'] as const, registers: [this.registry] });
  readonly reconcileErrors = new Counter({ name: 'controller_runtime_reconcile_errors_total', help: 'Total number of reconciliation errors per controller', labelNames: ['controller', 'error_type'] as const, registers: [this.registry] });
  readonly terminalErrors = new Counter({ name: 'controller_runtime_terminal_reconcile_errors_total', help: 'Total number of terminal reconciliation errors per controller', labelNames: ['controller', 'error_type'] as const, registers: [this.registry] });
  readonly reconcileTime = new Histogram({ name: 'controller_runtime_reconcile_time_seconds', help: 'Length of time per reconciliation per controller', labelNames: ['controller'] as const, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers: [this.registry] });
  readonly activeWorkers = new Gauge({ name: 'controller_runtime_active_workers', help: 'Number of currently used workers per controller', labelNames: ['controller'] as const, registers: [this.registry] });
  readonly maxConcurrent = new Gauge({ name: 'controller_runtime_max_concurrent_reconciles', help: 'Maximum number of concurrent reconciles per controller', labelNames: ['controller'] as const, registers: [this.registry] });
  readonly queueDepth = new Gauge({ name: 'workqueue_depth', help: 'Current depth of workqueue', labelNames: ['name', 'controller'] as const, registers: [this.registry] });
  readonly queueAdds = new Counter({ name: 'workqueue_adds_total', help: 'Total number of adds handled by workqueue', labelNames: ['name', 'controller'] as const, registers: [this.registry] });
  readonly queueRetries = new Counter({ name: 'workqueue_retries_total', help: 'Total number of retries handled by workqueue', labelNames: ['name', 'controller'] as const, registers: [this.registry] });
  readonly queueDuration = new Histogram({ name: 'workqueue_queue_duration_seconds', help: 'How long in seconds an item stays in workqueue before being requested', labelNames: ['name', 'controller'] as const, buckets: [0.001, 0.01, 0.1, 0.5, 1, 5, 10, 60, 300], registers: [this.registry] });
  readonly workDuration = new Histogram({ name: 'workqueue_work_duration_seconds', help: 'How long in seconds processing an item from workqueue takes', labelNames: ['name', 'controller'] as const, buckets: [0.001, 0.01, 0.1, 0.5, 1, 5, 10, 60], registers: [this.registry] });
  readonly leaderStatus = new Gauge({ name: 'leader_election_master_status', help: 'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master', labelNames: ['name'] as const, registers: [this.registry] });
  readonly apiRequests = new Counter({ name: 'rest_client_requests_total', help: 'Number of HTTP requests to the Kubernetes API, partitioned by verb, resource and status code', labelNames: ['verb', 'resource', 'code'] as const, registers: [this.registry] });
  readonly apiLatency = new Histogram({ name: 'rest_client_request_duration_seconds', help: 'Kubernetes API request latency by verb', labelNames: ['verb'] as const, buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30], registers: [this.registry] });
  readonly relists = new Counter({ name: 'gaim_informer_relists_total', help: 'Full relists after an expired watch, by resource', labelNames: ['resource'] as const, registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.maxConcurrent.set({ controller: CONTROLLER }, 0);
    this.activeWorkers.set({ controller: CONTROLLER }, 0);
  }

  queue(name = CONTROLLER): QueueMetrics {
    const labels = { name, controller: CONTROLLER };
    return {
      depth: (value) => { this.queueDepth.set(labels, value); },
      added: () => { this.queueAdds.inc(labels); },
      retried: () => { this.queueRetries.inc(labels); },
      waited: (seconds) => { this.queueDuration.observe(labels, seconds); },
      worked: (seconds) => { this.workDuration.observe(labels, seconds); },
    };
  }

  readonly onApiRequest: RequestObserver = (verb, resource, status, seconds) => {
    this.apiRequests.inc({ verb, resource, code: status === 0 ? '<error>' : String(status) });
    if (verb !== 'WATCH') this.apiLatency.observe({ verb }, seconds);
  };

  static readonly controller = CONTROLLER;
}
