/** Folds a canary release into the Microservice status: the release subtree, its phase and the Progressing condition. */
import type { MicroserviceStatus } from '../../../cdk8s/src/api/microservice.ts';
import type { ReleaseStatus } from '../../../cdk8s/src/api/release.ts';
import { canonicalJson } from '../../../cdk8s/src/release/revision.ts';
import { splitting } from './tracks.ts';

/**
 * Returns `status` with `release` in it. While a release splits traffic, the Progressing
 * condition carries the release message, and the phase is Progressing unless the
 * Microservice is Degraded.
 */
export function withRelease(status: MicroserviceStatus, release: ReleaseStatus | undefined): MicroserviceStatus {
  if (!release) return status;
  const next: MicroserviceStatus = { ...status, release };
  if (!splitting(release)) return next;

  const reason = release.phase === 'Paused' ? 'CanaryPaused' : 'CanaryProgressing';
  const message = release.message ?? `canary release of ${release.canaryRevision}`;
  next.conditions = (status.conditions ?? []).map((condition) => {
    if (condition.type !== 'Progressing') return condition;
    const lastTransitionTime = condition.status === 'True' ? condition.lastTransitionTime : new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    return { ...condition, status: 'True', reason, message, lastTransitionTime };
  });
  if (next.phase !== 'Degraded') next.phase = 'Progressing';
  return next;
}

/** True when two release statuses differ in any field. */
export function releaseChanged(current: ReleaseStatus | undefined, next: ReleaseStatus): boolean {
  return canonicalJson(current ?? null) !== canonicalJson(next);
}
