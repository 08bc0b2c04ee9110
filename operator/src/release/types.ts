/** Inputs and outputs of the canary release state machine. */
import type { MicroserviceSpec } from '../../../cdk8s/src/api/microservice.ts';
import type { ReleaseStatus } from '../../../cdk8s/src/api/release.ts';
import type { ReleaseRenderState } from '../../../cdk8s/src/release/state.ts';
import type { DeploymentLike } from '../microservice/status.ts';

/** A live Deployment as the state machine reads it, with the revision label of its pod template. */
export interface ObservedDeployment extends DeploymentLike {
  spec?: DeploymentLike['spec'] & { template?: { metadata?: { labels?: Record<string, string> } } };
}

/** Live state of one Microservice's Deployments and Istio objects, from the informer caches. */
export interface ReleaseObservation {
  stable?: ObservedDeployment;
  canary?: ObservedDeployment;
  /** The live DestinationRule has the subset "canary". */
  canarySubsetLive: boolean;
  /** The live VirtualService routes to the subset "canary". */
  canaryRouteLive: boolean;
}

export type AnalysisResult = 'Successful' | 'Failed' | 'Inconclusive';

/** The outcome of one analysis run: all metrics queried once. */
export interface AnalysisRun {
  result: AnalysisResult;
  /** The metric that decided the result: the first failed, else the first inconclusive, else the last. */
  metric: string;
  value: string;
  limit: string;
  query: string;
  /** Per-metric results, for the results counter. */
  metrics: Array<{ name: string; result: AnalysisResult }>;
}

export const RELEASE_COMMANDS = ['promote', 'abort', 'retry', 'pause', 'resume'] as const;
export type ReleaseCommandName = (typeof RELEASE_COMMANDS)[number];

/** A command from the release-command annotation. */
export interface ReleaseCommand {
  name: ReleaseCommandName;
  /** Unique id; a command whose id equals status.release.lastCommandId already ran. */
  id?: string;
}

export interface PlanInput {
  spec: MicroserviceSpec;
  previous: ReleaseStatus | undefined;
  observed: ReleaseObservation;
  now: Date;
  /** Istio objects are rendered for this Microservice, so weights are exact. */
  meshEnabled: boolean;
  /** The analysis run made for this pass, when analysisDue() asked for one. */
  analysis?: AnalysisRun;
  command?: ReleaseCommand;
}

export interface ReleaseEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface ReleasePlan {
  status: ReleaseStatus;
  render: ReleaseRenderState;
  /** Milliseconds until the release needs another look; undefined when it waits for nothing timed. */
  requeueAfterMs?: number;
  events: ReleaseEvent[];
  /** Set while an aborted release keeps the Microservice Degraded. */
  failure?: { reason: string; message: string };
}
