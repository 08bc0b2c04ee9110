/** Errors returned by the Kubernetes API, with the fields callers branch on. */

export class ApiError extends Error {
  /** HTTP status code; 0 when the request never got a response. */
  readonly status: number;
  /** The Status object's reason, such as "NotFound", "Conflict" or "Expired". */
  readonly reason: string;

  constructor(message: string, status: number, reason: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ApiError';
    this.status = status;
    this.reason = reason;
  }
}

export const isNotFound = (error: unknown): boolean => error instanceof ApiError && error.status === 404;

export const isConflict = (error: unknown): boolean => error instanceof ApiError && error.status === 409;

/** 410 Gone: the requested resourceVersion is older than the API server keeps, so re-list. */
export const isGone = (error: unknown): boolean => error instanceof ApiError && error.status === 410;

/** Throttling and server-side failures, which a caller should retry after a delay. */
export const isRetriable = (error: unknown): boolean =>
  !(error instanceof ApiError) || error.status === 0 || error.status === 429 || error.status >= 500;
