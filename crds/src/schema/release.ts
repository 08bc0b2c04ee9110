/** Schema of the release strategy fields: strategy, canary steps, presets and analysis. */
import { CANARY_PRESETS } from '../../../cdk8s/src/api/release.ts';
import { duration, integer, string, type Schema, type SpecFragment } from './types.ts';

const MAX_STEPS = 64;
const MAX_METRICS = 16;
/** One day: a longer scale-down delay keeps idle canary pods around by mistake more often than on purpose. */
const MAX_SCALE_DOWN_DELAY_SECONDS = 86_400;

const step: Schema = {
  type: 'object',
  description: 'One canary step. Set exactly one of setWeight, pause or analysis.',
  properties: {
    setWeight: integer('Percentage of requests sent to the canary.', { minimum: 0, maximum: 100 }),
    pause: {
      type: 'object',
      description: 'Wait before the next step; without a duration, wait until the release is promoted or resumed.',
      properties: {
        duration: duration('Time to wait.'),
      },
    },
    analysis: {
      type: 'object',
      description: 'Run the analysis `count` times at its interval; the release needs canary.analysis for this step.',
      maxProperties: 0,
    },
  },
  'x-kubernetes-validations': [
    {
      rule: '(has(self.setWeight) ? 1 : 0) + (has(self.pause) ? 1 : 0) + (has(self.analysis) ? 1 : 0) == 1',
      message: 'set exactly one of setWeight, pause or analysis',
    },
  ],
};

const metric: Schema = {
  type: 'object',
  required: ['name', 'query', 'successCondition'],
  properties: {
    name: string('Name shown in status and Events.', { pattern: '^[a-zA-Z_][a-zA-Z0-9_-]*$', maxLength: 63 }),
    query: string(
      'PromQL that returns one number. {{service}}, {{namespace}} and {{revision}} are replaced with the ' +
        'Microservice name, its namespace and the canary revision.',
      { minLength: 1, maxLength: 4096 },
    ),
    successCondition: {
      type: 'object',
      description: 'Bounds the value must meet. A result with no series or NaN is inconclusive, never a failure.',
      properties: {
        min: { type: 'number', description: 'Lowest passing value, inclusive.' },
        max: { type: 'number', description: 'Highest passing value, inclusive.' },
      },
      'x-kubernetes-validations': [
        { rule: 'has(self.min) || has(self.max)', message: 'set min, max or both' },
        { rule: '!has(self.min) || !has(self.max) || self.min <= self.max', message: 'min must not exceed max' },
      ],
    },
  },
  'x-kubernetes-validations': [
    {
      rule: "!self.query.replace('{{service}}', '').replace('{{namespace}}', '').replace('{{revision}}', '').contains('{{')",
      message: 'query may use only the placeholders {{service}}, {{namespace}} and {{revision}}',
      fieldPath: '.query',
    },
  ],
};

const analysis: Schema = {
  type: 'object',
  description: 'Prometheus checks, run at each analysis step and in the background while the canary receives traffic.',
  required: ['interval', 'failureLimit', 'inconclusiveLimit', 'metrics'],
  properties: {
    interval: duration('Time between two runs.'),
    count: integer('Runs at each analysis step.', { minimum: 1, maximum: 1000, default: 1 }),
    failureLimit: integer('Failed runs tolerated; one more aborts the release.', { minimum: 0, maximum: 1000 }),
    inconclusiveLimit: integer('Inconclusive runs tolerated; one more pauses the release.', { minimum: 0, maximum: 1000 }),
    metrics: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_METRICS,
      items: metric,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
    },
  },
};

const canary: Schema = {
  type: 'object',
  description: 'Steps and checks of a canary release. Set preset or steps, not both.',
  properties: {
    preset: string('A predefined step list named after the AWS CodeDeploy configurations.', {
      enum: [...CANARY_PRESETS],
    }),
    steps: {
      type: 'array',
      description: 'Steps run in order; after the last one the canary is promoted.',
      minItems: 1,
      maxItems: MAX_STEPS,
      items: step,
      'x-kubernetes-list-type': 'atomic',
    },
    analysis,
    scaleDownDelaySeconds: integer('Seconds the old canary pods keep running after promotion.', {
      minimum: 0,
      maximum: MAX_SCALE_DOWN_DELAY_SECONDS,
      default: 30,
    }),
    abortScaleDownDelaySeconds: integer('Seconds the canary pods keep running after an abort.', {
      minimum: 0,
      maximum: MAX_SCALE_DOWN_DELAY_SECONDS,
      default: 30,
    }),
  },
  'x-kubernetes-validations': [
    { rule: 'has(self.preset) != has(self.steps)', message: 'set exactly one of preset or steps' },
    {
      rule: '!has(self.steps) || has(self.analysis) || !self.steps.exists(s, has(s.analysis))',
      message: 'an analysis step needs canary.analysis',
      fieldPath: '.steps',
    },
  ],
};

export const release: SpecFragment = {
  properties: {
    release: {
      type: 'object',
      description: 'How a new revision replaces the running one.',
      properties: {
        strategy: { type: 'string', enum: ['Rolling', 'Canary'], default: 'Rolling' },
        canary,
      },
      'x-kubernetes-validations': [
        {
          rule: "!has(self.strategy) || self.strategy != 'Canary' || has(self.canary)",
          message: 'strategy Canary needs the canary field',
          fieldPath: '.canary',
        },
      ],
    },
  },
};
