/**
 * Prometheus metrics of the operator. Names and labels follow controller-runtime and
 * client-go, so dashboards and alerts written for Go operators work unchanged.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

// Buckets from 5 ms to about 1 minute, like controller-runtime's reconcile histogram.
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60];
// Queue latencies span from microseconds to hours, as in client-go's workqueue metrics.
const QUEUE_BUCKETS = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100, 1000];

export const reconcileTotal = new Counter({
  name: 'controller_runtime_reconcile_total',
  help: 'Total number of reconciliations per controller and result.',
  labelNames: ['controller', 'result'] as const,
  registers: [registry],
});

export const reconcileErrors = new Counter({
  name: 'controller_runtime_reconcile_errors_total',
  help: 'Total number of reconciliation errors per controller.',
  labelNames: ['controller'] as const,
  registers: [registry],
});

export const reconcileTime = new Histogram({
  name: 'controller_runtime_reconcile_time_seconds',
  help: 'Length of time per reconciliation per controller.',
  labelNames: ['controller'] as const,
  buckets: DURATION_BUCKETS,
  registers: [registry],
});

export const activeWorkers = new Gauge({
  name: 'controller_runtime_active_workers',
  help: 'Number of currently used workers per controller.',
  labelNames: ['controller'] as const,
  registers: [registry],
});

export const maxConcurrentReconciles = new Gauge({
  name: 'controller_runtime_max_concurrent_reconciles',
  help: 'Maximum number of concurrent reconciles per controller.',
  labelNames: ['controller'] as const,
  registers: [registry],
});

export const workqueueDepth = new Gauge({
  name: 'workqueue_depth',
  help: 'Current depth of workqueue.',
  labelNames: ['name', 'controller'] as const,
  registers: [registry],
});

export const workqueueAdds = new Counter({
  name: 'workqueue_adds_total',
  help: 'Total number of adds handled by workqueue.',
  labelNames: ['name', 'controller'] as const,
  registers: [registry],
});

export const workqueueRetries = new Counter({
  name: 'workqueue_retries_total',
  help: 'Total number of retries handled by workqueue.',
  labelNames: ['name', 'controller'] as const,
  registers: [registry],
});

export const workqueueQueueDuration = new Histogram({
  name: 'workqueue_queue_duration_seconds',
  help: 'How long in seconds an item stays in workqueue before being requested.',
  labelNames: ['name', 'controller'] as const,
  buckets: QUEUE_BUCKETS,
  registers: [registry],
});

export const workqueueWorkDuration = new Histogram({
  name: 'workqueue_work_duration_seconds',
  help: 'How long in seconds processing an item from workqueue takes.',
  labelNames: ['name', 'controller'] as const,
  buckets: QUEUE_BUCKETS,
  registers: [registry],
});

export const workqueueUnfinishedWork = new Gauge({
  name: 'workqueue_unfinished_work_seconds',
  help: 'How many seconds of work has been done that is in progress and has not been observed by work_duration.',
  labelNames: ['name', 'controller'] as const,
  registers: [registry],
});

export const workqueueLongestRunning = new Gauge({
  name: 'workqueue_longest_running_processor_seconds',
  help: 'How many seconds has the longest running processor for workqueue been running.',
  labelNames: ['name', 'controller'] as const,
  registers: [registry],
});

export const restClientRequests = new Counter({
  name: 'rest_client_requests_total',
  help: 'Number of HTTP requests to the Kubernetes API, partitioned by status code and method.',
  labelNames: ['code', 'method'] as const,
  registers: [registry],
});

/** 1 while this process holds the leader Lease `name`, else 0; client-go's metric name. */
export const leaderElectionMasterStatus = new Gauge({
  name: 'leader_election_master_status',
  help: 'Whether this process holds the leader election Lease: 1 while leading, 0 as a standby.',
  labelNames: ['name'] as const,
  registers: [registry],
});

/** Values of the flywheel_microservices phase label; Unknown counts objects without a status yet. */
export const MICROSERVICE_PHASES = ['Pending', 'Progressing', 'Ready', 'Degraded', 'Unknown'] as const;

let phaseSource: () => Iterable<string | undefined> = () => [];

/**
 * Sets where the flywheel_microservices gauge reads phases from at each scrape, normally
 * the Microservice informer cache, which standbys fill too.
 */
export function countMicroservicesFrom(source: () => Iterable<string | undefined>): void {
  phaseSource = source;
}

export const microservicesByPhase = new Gauge({
  name: 'flywheel_microservices',
  help: 'Number of Microservices in the informer cache by status.phase.',
  labelNames: ['phase'] as const,
  registers: [registry],
  collect() {
    const counts = new Map<string, number>(MICROSERVICE_PHASES.map((phase) => [phase, 0]));
    for (const phase of phaseSource()) {
      const label = phase && counts.has(phase) ? phase : 'Unknown';
      counts.set(label, (counts.get(label) ?? 0) + 1);
    }
    for (const [phase, count] of counts) this.set({ phase }, count);
  },
});

export const releasePhase = new Gauge({
  name: 'flywheel_release_phase',
  help: 'Phase of the canary release per Microservice: 1 for the current phase, 0 for the others.',
  labelNames: ['namespace', 'name', 'phase'] as const,
  registers: [registry],
});

export const canaryWeight = new Gauge({
  name: 'flywheel_canary_weight',
  help: 'Percentage of requests sent to the canary per Microservice.',
  labelNames: ['namespace', 'name'] as const,
  registers: [registry],
});

export const analysisResults = new Counter({
  name: 'flywheel_analysis_results_total',
  help: 'Canary analysis measurements per Microservice, metric and result (Successful, Failed, Inconclusive).',
  labelNames: ['namespace', 'name', 'metric', 'result'] as const,
  registers: [registry],
});
