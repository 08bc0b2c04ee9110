/** Schema of the status subresource. */
import { integer, string, type Schema } from './types.ts';

const condition: Schema = {
  type: 'object',
  required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'],
  properties: {
    type: string('Condition type: Ready, Progressing or Degraded.', { maxLength: 316 }),
    status: string('True, False or Unknown.', { enum: ['True', 'False', 'Unknown'] }),
    observedGeneration: integer('The .metadata.generation the condition was computed from.', { minimum: 0 }),
    lastTransitionTime: string('When the status last changed.', { format: 'date-time' }),
    reason: string('CamelCase machine-readable reason.', { maxLength: 1024, minLength: 1 }),
    message: string('What happened and, where it applies, what to do.', { maxLength: 32768 }),
  },
};

const timestamp = (description: string): Schema => string(description, { format: 'date-time' });

const releaseAnalysis: Schema = {
  type: 'object',
  description: 'Counters and the latest notable measurement of the current release.',
  properties: {
    successes: integer('Successful runs.', { minimum: 0 }),
    failures: integer('Failed runs.', { minimum: 0 }),
    inconclusive: integer('Inconclusive runs.', { minimum: 0 }),
    stepRuns: integer('Runs made in the current analysis step.', { minimum: 0 }),
    lastRunAt: timestamp('Time of the latest run.'),
    lastResult: string('Result of the latest run.', { enum: ['Successful', 'Failed', 'Inconclusive'] }),
    lastMetric: string('Metric that decided the latest run.'),
    lastValue: string('Its value, or why there was none.'),
    lastLimit: string('The bound it was compared with.'),
    lastQuery: string('The query sent to Prometheus, after template substitution.'),
  },
};

const release: Schema = {
  type: 'object',
  description: 'Progress of the current or latest canary release.',
  properties: {
    phase: string('Release phase.', { enum: ['Idle', 'Progressing', 'Paused', 'Promoted', 'Aborted'] }),
    stableRevision: string('Revision the stable Deployment runs.'),
    canaryRevision: string('Revision under release, or last released or aborted.'),
    stepIndex: integer('Index of the current step.', { minimum: 0 }),
    stepStartedAt: timestamp('Start of the current step.'),
    weight: integer('Percentage of requests sent to the canary.', { minimum: 0, maximum: 100 }),
    canaryReplicas: integer('Pods the canary Deployment runs.', { minimum: 0 }),
    analysis: releaseAnalysis,
    message: string('What the release is doing or waiting for.'),
    scaleDownAt: timestamp('Time the canary Deployment scales to 0.'),
    pausedAt: timestamp('Start of a manual or inconclusive pause.'),
    pauseReason: string('Why the release is paused.', { enum: ['PauseStep', 'Manual', 'Inconclusive'] }),
    trafficSplit: string('Mesh when Istio weights split traffic; Replicas when pod counts do, so weights are approximate.', {
      enum: ['Mesh', 'Replicas'],
    }),
    lastCommandId: string('Id of the last release command executed.'),
    stableSpec: {
      type: 'object',
      description: 'Copy of the spec that the stable Deployment runs.',
      'x-kubernetes-preserve-unknown-fields': true,
    },
  },
};

export const status: Schema = {
  type: 'object',
  description: 'Observed state, written by the operator.',
  'x-kubernetes-preserve-unknown-fields': true,
  properties: {
    observedGeneration: integer('The .metadata.generation the operator last acted on.', { minimum: 0 }),
    phase: string('Summary of the conditions.', { enum: ['Pending', 'Progressing', 'Ready', 'Degraded'] }),
    conditions: {
      type: 'array',
      items: condition,
      maxItems: 16,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
    },
    replicas: integer('Pods targeted by the Deployment.', { minimum: 0 }),
    readyReplicas: integer('Pods passing readiness.', { minimum: 0 }),
    availableReplicas: integer('Pods ready for at least minReadySeconds.', { minimum: 0 }),
    updatedReplicas: integer('Pods running the current template.', { minimum: 0 }),
    release,
  },
};
