/** Timing and retry defaults of the operator runtime, in one place. */

/** Timeout of one non-watch API request. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** First retry delay of a failed reconcile; doubles on each further failure of the same key. */
export const BACKOFF_BASE_MS = 5;
/** Maximum retry delay of a failing key. */
export const BACKOFF_MAX_MS = 5 * 60_000;

/** Server-side timeout of one watch request; the informer resumes from the last resourceVersion. */
export const WATCH_TIMEOUT_SECONDS = 300;
/** Page size of the initial list, so a large cluster is not loaded in one response. */
export const LIST_PAGE_SIZE = 500;
/** First delay before re-listing after a failed list or watch; doubles up to the maximum. */
export const RELIST_BACKOFF_BASE_MS = 200;
export const RELIST_BACKOFF_MAX_MS = 10_000;

/** Reconciles running at once. */
export const DEFAULT_WORKERS = 4;
/**
 * Delay of the check that follows a reconcile which wrote objects. Watch events normally
 * trigger it sooner; this bounds the wait if a write caused no event.
 */
export const RECHECK_AFTER_WRITE_MS = 5_000;

/** The field manager of every server-side apply the operator makes. */
export const FIELD_MANAGER = 'flywheel';

/**
 * Leader election timings, the defaults of kube-controller-manager and controller-runtime.
 * A standby takes over once the Lease has gone unrenewed for LEASE_DURATION_MS, measured
 * on its own clock. A leader that fails to renew for RENEW_DEADLINE_MS stops, which is
 * before any standby may take over. Candidates retry every RETRY_PERIOD_MS.
 */
export const LEASE_DURATION_MS = 15_000;
export const RENEW_DEADLINE_MS = 10_000;
export const RETRY_PERIOD_MS = 2_000;

/**
 * Time allowed for in-flight reconciles to finish after SIGTERM or SIGINT. It stays below
 * the 30 s default terminationGracePeriodSeconds of a Pod, leaving time to release the Lease.
 */
export const GRACEFUL_SHUTDOWN_TIMEOUT_MS = 25_000;
/** Time allowed for open HTTP requests to the metrics and probe servers after shutdown starts. */
export const HTTP_CLOSE_TIMEOUT_MS = 2_000;

/** How long a TokenReview and SubjectAccessReview decision for a metrics token is reused. */
export const METRICS_AUTH_ALLOWED_TTL_MS = 2 * 60_000;
export const METRICS_AUTH_DENIED_TTL_MS = 10_000;

/** A warning or error with the same message and key fields (see log.ts) is logged at most once per this window. */
export const LOG_REPEAT_WINDOW_MS = 10_000;

/**
 * Delay of the next check while a canary release waits for pods or a rollout. Watch
 * events of the Deployments normally bring the key back sooner.
 */
export const RELEASE_POLL_MS = 5_000;
/** Time one Prometheus query of canary analysis may take before it counts as inconclusive. */
export const ANALYSIS_QUERY_TIMEOUT_MS = 10_000;
/** Seconds the canary pods keep running after promotion, when the spec does not set it. */
export const DEFAULT_SCALE_DOWN_DELAY_SECONDS = 30;
/** Seconds the canary pods keep running after an abort, when the spec does not set it. */
export const DEFAULT_ABORT_SCALE_DOWN_DELAY_SECONDS = 30;

/**
 * Start-up requests (API version, preflight) that fail with 429, 5xx or no response are
 * retried this many times, the delay doubling from the base: about 15 s in all. After
 * that the process exits non-zero and the kubelet's restart backoff takes over.
 */
export const STARTUP_RETRY_ATTEMPTS = 6;
export const STARTUP_RETRY_BASE_MS = 500;
