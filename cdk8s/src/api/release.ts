/** Types of the release strategy part of a Microservice spec, and of the release status. */
import type { MicroserviceSpec } from './microservice.ts';

/** How a new revision replaces the running one. */
export interface ReleaseSpec {
  /**
   * "Rolling" lets the Deployment replace pods in place. "Canary" runs the new revision
   * beside the stable one and moves traffic in steps, checked by `canary.analysis`.
   * @default "Rolling"
   */
  strategy?: 'Rolling' | 'Canary';
  /** Steps and checks of a canary release; used when `strategy` is "Canary". */
  canary?: CanarySpec;
}

/**
 * Step lists named after the AWS CodeDeploy predefined configurations. "CanaryXPercentYMinutes"
 * sends 10% for Y minutes, then everything. "Linear10PercentEveryNMinutes" adds 10% every N
 * minutes. "AllAtOnce" sends everything at once. ECS spells one of them
 * "Linear10PercentEvery1Minutes", which is accepted too.
 */
export const CANARY_PRESETS = [
  'Canary10Percent5Minutes',
  'Canary10Percent10Minutes',
  'Canary10Percent15Minutes',
  'Canary10Percent30Minutes',
  'Linear10PercentEvery1Minute',
  'Linear10PercentEvery1Minutes',
  'Linear10PercentEvery2Minutes',
  'Linear10PercentEvery3Minutes',
  'Linear10PercentEvery10Minutes',
  'AllAtOnce',
] as const;

export type CanaryPreset = (typeof CANARY_PRESETS)[number];

/** A canary release: either a preset or explicit steps, plus optional metric checks. */
export interface CanarySpec {
  /** A predefined step list; set this or `steps`, not both. */
  preset?: CanaryPreset;
  /** Steps run in order; after the last one the canary is promoted. */
  steps?: CanaryStep[];
  /** Checks run at each analysis step and in the background while the canary receives traffic. */
  analysis?: AnalysisSpec;
  /** Seconds the old canary pods keep running after promotion, for in-flight requests. @default 30 */
  scaleDownDelaySeconds?: number;
  /** Seconds the canary pods keep running after an abort, for debugging. @default 30 */
  abortScaleDownDelaySeconds?: number;
}

/** One step of a canary release. Exactly one field is set. */
export interface CanaryStep {
  /** Percentage of requests, 0 to 100, sent to the canary. */
  setWeight?: number;
  /** Wait for `duration`, or without one until the release is promoted or resumed. */
  pause?: { duration?: string };
  /** Run the analysis `count` times at its `interval` before the next step. */
  analysis?: Record<string, never>;
}

/** Prometheus checks of the canary. */
export interface AnalysisSpec {
  /** Time between two runs, as "30s" or "1m". */
  interval: string;
  /** Runs at each analysis step. @default 1 */
  count?: number;
  /** Failed runs tolerated; one more aborts the release. */
  failureLimit: number;
  /** Inconclusive runs tolerated; one more pauses the release for a person to decide. */
  inconclusiveLimit: number;
  metrics: AnalysisMetric[];
}

/** One PromQL check. A run fails when any metric fails. */
export interface AnalysisMetric {
  /** Name shown in status and Events. */
  name: string;
  /**
   * PromQL that returns one number. `{{service}}`, `{{namespace}}` and `{{revision}}` are
   * replaced with the Microservice name, its namespace and the canary revision.
   */
  query: string;
  /** Bounds a value must meet to pass; an empty result is inconclusive, never a failure. */
  successCondition: { min?: number; max?: number };
}

export type ReleasePhase = 'Idle' | 'Progressing' | 'Paused' | 'Promoted' | 'Aborted';

/** Counters and the latest notable measurement of the current release's analysis. */
export interface AnalysisStatus {
  successes: number;
  failures: number;
  inconclusive: number;
  /** Runs made in the current analysis step. */
  stepRuns?: number;
  /** Time of the latest run, RFC 3339. */
  lastRunAt?: string;
  /** Result of the latest run: Successful, Failed or Inconclusive. */
  lastResult?: 'Successful' | 'Failed' | 'Inconclusive';
  /** Metric that decided the latest run. */
  lastMetric?: string;
  /** Its value as text, or why there was none. */
  lastValue?: string;
  /** The bound it was compared with, as ">= 0.99" or "<= 0.05". */
  lastLimit?: string;
  /** The query sent to Prometheus, after template substitution. */
  lastQuery?: string;
}

/** Progress of a canary release, written by the operator. */
export interface ReleaseStatus {
  phase: ReleasePhase;
  /** Revision the stable Deployment runs. */
  stableRevision: string;
  /** Revision under release, or last released or aborted. */
  canaryRevision?: string;
  /** Index into the step list of the current step. */
  stepIndex?: number;
  /** Start of the current step, RFC 3339; a timed pause ends `duration` after it. */
  stepStartedAt?: string;
  /** Percentage of requests sent to the canary. */
  weight: number;
  /** Pods the canary Deployment runs. */
  canaryReplicas?: number;
  analysis?: AnalysisStatus;
  message?: string;
  /** Time the canary Deployment scales to 0 after a promotion or an abort, RFC 3339. */
  scaleDownAt?: string;
  /** Start of a manual or inconclusive pause, RFC 3339, so a resume can restore the step's remaining time. */
  pausedAt?: string;
  /** Why the release is paused: a pause step, a person, or inconclusive analysis. */
  pauseReason?: 'PauseStep' | 'Manual' | 'Inconclusive';
  /** "Mesh" when Istio weights split traffic; "Replicas" when pod counts do, so weights are approximate. */
  trafficSplit?: 'Mesh' | 'Replicas';
  /** Id of the last release command executed, so an annotation is never executed twice. */
  lastCommandId?: string;
  /** Spec that the stable Deployment runs. */
  stableSpec: MicroserviceSpec;
}
