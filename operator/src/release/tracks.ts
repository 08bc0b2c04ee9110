/**
 * Pod counts of the stable and canary tracks, readiness checks of their live
 * Deployments, and the render state that follows from a release status.
 */
import type { MicroserviceSpec } from '../../../cdk8s/src/api/microservice.ts';
import type { ReleaseStatus } from '../../../cdk8s/src/api/release.ts';
import { REVISION_LABEL } from '../../../cdk8s/src/release/revision.ts';
import type { ReleaseRenderState } from '../../../cdk8s/src/release/state.ts';
import type { ObservedDeployment, PlanInput } from './types.ts';

/** Pods the Microservice runs in total, stable and canary together, outside a release. */
export const totalReplicas = (spec: MicroserviceSpec): number => spec.replicas ?? 1;

/** Canary pods for `weight` percent of `total`, rounded up and at least 1 during a release. */
export const canaryReplicasFor = (total: number, weight: number): number => Math.max(1, Math.ceil((total * weight) / 100));

/** Stable pods for the remaining share, rounded up so the stable track never runs short. */
export const stableReplicasFor = (total: number, weight: number): number => Math.ceil((total * (100 - weight)) / 100);

/** True while the release runs a canary Deployment: during the steps and until its scale-down ends. */
export function canaryActive(status: ReleaseStatus): boolean {
  return status.phase === 'Progressing' || status.phase === 'Paused' || status.scaleDownAt !== undefined;
}

/** True while the stable track still runs the old revision and serves only its share. */
export function splitting(status: ReleaseStatus): boolean {
  return (status.phase === 'Progressing' || status.phase === 'Paused') && status.canaryRevision !== status.stableRevision;
}

/**
 * Stable pods: the share of the current weight while the tracks split traffic, all pods
 * while a promotion rolls out, else undefined so the chart renders them as without a release.
 */
// TODO: with spec.autoscaling the total is spec.replicas, not the autoscaler's count, so a
// release overrides the HorizontalPodAutoscaler until it ends.
function stableReplicasOf(status: ReleaseStatus, total: number): number | undefined {
  if (splitting(status)) return stableReplicasFor(total, status.weight);
  if ((status.phase === 'Progressing' || status.phase === 'Paused') && status.canaryRevision === status.stableRevision) return total;
  return undefined;
}

/**
 * True when `deployment` runs `revision` on at least `replicas` available pods and the
 * Deployment controller has seen its latest spec. Availability, not readiness, counts,
 * because a Service sends traffic only to pods that stayed ready for minReadySeconds.
 */
export function rolledOut(deployment: ObservedDeployment | undefined, revision: string, replicas: number): boolean {
  if (!deployment) return false;
  const status = deployment.status ?? {};
  return (
    deployment.spec?.template?.metadata?.labels?.[REVISION_LABEL] === revision &&
    deployment.spec?.replicas === replicas &&
    (status.observedGeneration ?? 0) >= (deployment.metadata.generation ?? 0) &&
    (status.updatedReplicas ?? 0) >= replicas &&
    (status.availableReplicas ?? 0) >= replicas
  );
}

/**
 * True when the stable Deployment runs `revision` and all the pods its spec requests are
 * updated and available, whatever set that count (the release, or an autoscaler).
 */
export function stableServing(deployment: ObservedDeployment | undefined, revision: string | undefined): boolean {
  if (!deployment || revision === undefined) return false;
  return rolledOut(deployment, revision, deployment.spec?.replicas ?? 1);
}

/** True when the canary Deployment is gone or has no pods left. */
export function scaledDown(deployment: ObservedDeployment | undefined): boolean {
  if (!deployment) return true;
  return deployment.spec?.replicas === 0 && (deployment.status?.replicas ?? 0) === 0;
}

/**
 * Derives what to render from the release status and the live Istio objects. The
 * canary route exists only once the live DestinationRule has the canary subset, and the
 * subset stays until the live VirtualService no longer routes to it, because Istio
 * rejects requests routed to a subset it does not know (503, "no healthy upstream").
 */
export function renderStateOf(status: ReleaseStatus, input: PlanInput): ReleaseRenderState {
  const total = totalReplicas(input.spec);
  const active = canaryActive(status);
  // The canary keeps its pods past scaleDownAt until the stable Deployment serves in full
  // again, so that after an abort the Service never has fewer available pods than before.
  const scaleDownDue =
    status.scaleDownAt !== undefined &&
    input.now.getTime() >= Date.parse(status.scaleDownAt) &&
    stableServing(input.observed.stable, status.stableRevision);
  const canaryReplicas = scaleDownDue ? 0 : (status.canaryReplicas ?? 1);
  // With the mesh, the canary Deployment waits until the VirtualService routes by subset,
  // because before that the route covers the whole Service, canary pods included.
  const routed = !input.meshEnabled || input.observed.canaryRouteLive;
  return {
    stableSpec: status.stableSpec,
    stableReplicas: stableReplicasOf(status, total),
    canary: active && routed ? { replicas: canaryReplicas } : undefined,
    canarySubset: input.meshEnabled && (active || input.observed.canaryRouteLive),
    canaryWeight: input.meshEnabled && active && input.observed.canarySubsetLive ? status.weight : undefined,
  };
}
