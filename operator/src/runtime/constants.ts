/** Timing and retry defaults of the operator runtime, in one place. */

/** Timeout of one non-watch API request. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** First retry delay of a failed reconcile; doubles on each further failure of the same key. */
export const BACKOFF_BASE_MS = 5;
/** Longest retry delay of a failing key. */
export const BACKOFF_MAX_MS = 5 * 60_000;

/** Server-side timeout of one watch request; the informer resumes from the last resourceVersion. */
export const WATCH_TIMEOUT_SECONDS = 300;
/** Page size of the initial list, so a large cluster is not loaded in one response. */
export const LIST_PAGE_SIZE = 500;
/** First delay before re-listing after a failed list or watch; doubles up to the maximum. */
export const RELIST_BACKOFF_BASE_MS = 200;
export const RELIST_BACKOFF_MAX_MS = 30_000;

/** Reconciles running at once. */
export const DEFAULT_WORKERS = 4;
/**
 * Delay of the check that follows a reconcile which wrote objects. Watch events normally
 * trigger it sooner; this bounds the wait if a write caused no event.
 */
export const RECHECK_AFTER_WRITE_MS = 5_000;

/** The field manager of every server-side apply the operator makes. */
export const FIELD_MANAGER = 'flywheel';
