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
  },
};
