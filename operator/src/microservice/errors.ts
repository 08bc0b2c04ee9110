/** Reconcile failures that carry the reason shown in the Degraded condition. */
import { ApiError } from '../kube/errors.ts';
import type { Failure } from './status.ts';

/** An object the Microservice would render already exists and belongs to someone else. */
export class OwnershipConflictError extends Error {
  readonly reason = 'OwnershipConflict';
}

export function failureOf(error: unknown): Failure {
  if (error instanceof OwnershipConflictError) return { reason: error.reason, message: error.message };
  if (error instanceof ApiError && error.status === 422) return { reason: 'InvalidObject', message: error.message };
  if (error instanceof ApiError && error.status === 403) return { reason: 'Forbidden', message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { reason: 'ApplyFailed', message };
}
