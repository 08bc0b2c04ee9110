/** What a running canary release changes in the rendered objects. */
import type { MicroserviceSpec } from '../api/microservice.ts';

/**
 * The release decisions that rendering follows. The operator computes them from the
 * Microservice's status; `flywheel synth` renders without them, which is the steady state:
 * one stable Deployment running the current spec and all traffic on it.
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
   * from 0 to 100. Undefined renders no canary route, so all requests go to "stable".
   */
  canaryWeight?: number;
}

export const STABLE_SUBSET = 'stable';
export const CANARY_SUBSET = 'canary';

/** Name of the canary Deployment of Microservice `name`. */
export const canaryName = (name: string): string => `${name}-canary`;
