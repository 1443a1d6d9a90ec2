import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RequestObserver } from '../kube/client.js';
import { ERROR_TYPES } from '../errors.js';

/** Hooks for the workqueue_* metrics, called by the controller's work queue. */
export interface QueueMetrics {
  /** Keys ready to be handed out (client-go's and controller-runtime's workqueue_depth: delayed keys are not in it). */
  depth(value: number): void;
  /** Keys waiting for their time (a requeue-after, a retry's backoff): gaim_workqueue_delayed_items. */
  delayed(value: number): void;
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
  // client-go counts a key added "after" a delay only when its time comes: a Gaim requeued every
  // second never shows in workqueue_depth. This gauge shows the keys waiting for their time.
  readonly queueDelayed = new Gauge({ name: 'gaim_workqueue_delayed_items', help: 'Keys of a workqueue waiting for their time (requeue-after, retry backoff): not in workqueue_depth, as in client-go', labelNames: ['name', 'controller'] as const, registers: [this.registry] });
  readonly queueAdds = new Counter({ name: 'workqueue_adds_total', help: 'Total number of adds handled by workqueue', labelNames: ['name', 'controller'] as const, registers: [this.registry] });
  readonly queueRetries = new Counter({ name: 'workqueue_retries_total', help: 'Total number of retries handled by workqueue', labelNames: ['name', 'controller'] as const, registers: [this.registry] });
  readonly queueDuration = new Histogram({ name: 'workqueue_queue_duration_seconds', help: 'How long in seconds an item stays in workqueue before being requested', labelNames: ['name', 'controller'] as const, buckets: [0.001, 0.01, 0.1, 0.5, 1, 5, 10, 60, 300], registers: [this.registry] });
  readonly workDuration = new Histogram({ name: 'workqueue_work_duration_seconds', help: 'How long in seconds processing an item from workqueue takes', labelNames: ['name', 'controller'] as const, buckets: [0.001, 0.01, 0.1, 0.5, 1, 5, 10, 60], registers: [this.registry] });
  readonly leaderStatus = new Gauge({ name: 'leader_election_master_status', help: 'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master', labelNames: ['name'] as const, registers: [this.registry] });
  readonly apiRequests = new Counter({ name: 'rest_client_requests_total', help: 'Number of HTTP requests to the Kubernetes API, partitioned by verb, resource and status code', labelNames: ['verb', 'resource', 'code'] as const, registers: [this.registry] });
  readonly apiLatency = new Histogram({ name: 'rest_client_request_duration_seconds', help: 'Kubernetes API request latency by verb', labelNames: ['verb'] as const, buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30], registers: [this.registry] });
  readonly backups = new Counter({ name: 'gaim_backups_total', help: 'GaimBackups that ended, by result (completed, failed)', labelNames: ['result'] as const, registers: [this.registry] });
  readonly backupLastSuccess = new Gauge({ name: 'gaim_backup_last_success_timestamp_seconds', help: 'When the newest Completed GaimBackup of a Gaim completed (Unix seconds)', labelNames: ['namespace', 'gaim'] as const, registers: [this.registry] });
  readonly finalBackups = new Counter({ name: 'gaim_final_backups_total', help: 'Final backups taken from kept volumes, their namespace being deleted (deletionPolicy Snapshot), by result (completed, failed)', labelNames: ['result'] as const, registers: [this.registry] });
  readonly finalBackupFailed = new Gauge({ name: 'gaim_final_backup_failed', help: 'A final backup from kept volumes failed: 1 per deleted Gaim whose volumes are kept (Retain) for a person to back up or release', labelNames: ['namespace', 'gaim', 'record'] as const, registers: [this.registry] });
  readonly backedUp = new Gauge({ name: 'gaim_backed_up', help: 'For a Gaim with a backup schedule: 1 when its newest Completed backup is at most two schedule periods old (its BackedUp condition), else 0', labelNames: ['namespace', 'gaim'] as const, registers: [this.registry] });
  readonly hibernated = new Gauge({ name: 'gaim_hibernated', help: 'For a Gaim with spec.hibernation: 1 while it hibernates (its stores at zero replicas, or going there), else 0', labelNames: ['namespace', 'gaim'] as const, registers: [this.registry] });
  readonly hibernationTransitions = new Counter({ name: 'gaim_hibernation_transitions_total', help: 'Gaims that went to sleep (direction hibernate) or woke (direction wake)', labelNames: ['direction'] as const, registers: [this.registry] });
  // Queue health, per Gaim and environment (no per-consumer series: bounded cardinality).
  readonly streamLength = this.#queueGauge('gaim_stream_length', 'Entries in a Gaim\'s task stream');
  readonly streamLag = this.#queueGauge('gaim_stream_lag', 'Task stream entries not yet delivered to the consumer group (absent when Redis cannot tell)');
  readonly streamPending = this.#queueGauge('gaim_stream_pending', 'Tasks delivered and not acknowledged');
  readonly streamOldestPending = this.#queueGauge('gaim_stream_oldest_pending_seconds', 'Age of the oldest pending task');
  readonly streamMaxDeliveries = this.#queueGauge('gaim_stream_max_deliveries', 'The most deliveries of a pending task (among the oldest 100)');
  readonly streamConsumersIdle = this.#queueGauge('gaim_stream_consumers_idle', 'Consumers of the task group idle for more than a minute');
  readonly streamConsumers = this.#queueGauge('gaim_stream_consumers', 'Consumers of the task group');
  readonly dlqLength = this.#queueGauge('gaim_dlq_length', 'Entries in a Gaim\'s dead-letter stream');
  readonly queueActions = new Counter({ name: 'gaim_queue_actions_total', help: 'Auto-pilot actions on task queues: dead_lettered (a poison task moved to the DLQ), consumer_removed', labelNames: ['namespace', 'gaim', 'env', 'action'] as const, registers: [this.registry] });
  readonly queueSamples = new Counter({ name: 'gaim_queue_samples_total', help: 'Queue samples taken, by result (ok, failed)', labelNames: ['result'] as const, registers: [this.registry] });
  // LanceDB tables, as the last maintenance run left them (a handful per Gaim: 5 tables per environment).
  readonly tableRows = this.#tableGauge('gaim_lancedb_table_rows', 'Rows of a LanceDB table after its last maintenance');
  readonly tableVersions = this.#tableGauge('gaim_lancedb_table_versions', 'Versions a LanceDB table keeps after its last maintenance');
  readonly tableFragments = this.#tableGauge('gaim_lancedb_table_fragments', 'Fragments of a LanceDB table after its last maintenance');
  readonly tableBytes = this.#tableGauge('gaim_lancedb_table_bytes', 'Bytes a LanceDB table takes on the share after its last maintenance');
  readonly relists = new Counter({ name: 'gaim_informer_relists_total', help: 'Full relists after an expired watch, by resource', labelNames: ['resource'] as const, registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  #tableGauge(name: string, help: string): Gauge<'namespace' | 'gaim' | 'table'> {
    return new Gauge({ name, help, labelNames: ['namespace', 'gaim', 'table'] as const, registers: [this.registry] });
  }

  #queueGauge(name: string, help: string): Gauge<'namespace' | 'gaim' | 'env'> {
    return new Gauge({ name, help, labelNames: ['namespace', 'gaim', 'env'] as const, registers: [this.registry] });
  }

  /**
   * Every per-controller counter and gauge of controller `name`, at zero: as controller-runtime and
   * client-go create theirs when a controller starts, so a healthy idle operator reads 0 where a
   * `rate()` alert would otherwise read "no data" until a first event.
   */
  initController(name = CONTROLLER): void {
    for (const result of ['success', 'error', 'requeue', 'requeue_after']) this.reconcileTotal.inc({ controller: name, result }, 0);
    for (const errorType of ERROR_TYPES) {
      this.reconcileErrors.inc({ controller: name, error_type: errorType }, 0);
      this.terminalErrors.inc({ controller: name, error_type: errorType }, 0);
    }
    const labels = { name, controller: name };
    this.queueDepth.set(labels, 0);
    this.queueDelayed.set(labels, 0);
    this.queueAdds.inc(labels, 0);
    this.queueRetries.inc(labels, 0);
  }

  /** The work queue of controller `name` (its queue has the controller's name, as in controller-runtime). */
  queue(name = CONTROLLER): QueueMetrics {
    const labels = { name, controller: name };
    return {
      depth: (value) => { this.queueDepth.set(labels, value); },
      delayed: (value) => { this.queueDelayed.set(labels, value); },
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
