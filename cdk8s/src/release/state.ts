/** Render inputs of a running canary release: stable spec, pod counts, subsets and weights. */
import type { MicroserviceSpec } from '../api/microservice.ts';

/**
 * Release decisions that rendering follows, computed by the operator from the status.
 * `flywheel synth` renders without them. That is the steady state: one stable Deployment
 * that runs the current spec and gets all traffic.
 */
export interface ReleaseRenderState {
  /** Spec whose pod fields the stable Deployment runs. */
  stableSpec: MicroserviceSpec;
  /** Stable pod count while a release sets it; undefined renders the count as without a release. */
  stableReplicas: number | undefined;
  /** The canary Deployment, or undefined when none exists. */
  canary?: {
    /** Canary pod count. */
    replicas: number;
  };
  /** Render the DestinationRule subset "canary". */
  canarySubset: boolean;
  /**
   * Percentage of requests the VirtualService sends to the canary subset, an integer
   * from 0 to 100. Undefined renders no canary route, so the route covers the whole Service.
   */
  canaryWeight?: number;
}

export const STABLE_SUBSET = 'stable';
export const CANARY_SUBSET = 'canary';

/** Name of the canary Deployment of Microservice `name`. */
export const canaryName = (name: string): string => `${name}-canary`;
