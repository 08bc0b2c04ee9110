/** Schema of the mesh, traffic resilience, scaling and identity fields. */
import { DURATION_PATTERN, duration, integer, string, type Schema, type SpecFragment, type ValidationRule } from './types.ts';

/** Istio stores these limits as int32. */
const INT32_MAX = 2147483647;
/** Istio caps `maxRequestsPerConnection` at 2^29 (istio.io/api v1.28, ConnectionPoolSettings). */
const MAX_REQUESTS_PER_CONNECTION = 536870912;
/** Each retry multiplies the load on a service that is already failing, so Flywheel caps them. */
const MAX_RETRY_ATTEMPTS = 10;
/** Same bound as spec.replicas. */
const MAX_REPLICAS = 1000;
/** Utilization is relative to the request, so targets above 100 are valid when limits exceed requests. */
const MAX_UTILIZATION_PERCENTAGE = 1000;

const PERCENT_PATTERN = '^(100|[1-9]?[0-9])%$';
const DNS_SUBDOMAIN_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
/** An IAM role ARN in any AWS partition, with an optional path: arn:aws:iam::123456789012:role/path/name. */
const IAM_ROLE_ARN_PATTERN = '^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/([\\w+=,.@-]+/)*[\\w+=,.@-]{1,64}$';

/** Envoy's HTTP and gRPC retry policies (x-envoy-retry-on, x-envoy-retry-grpc-on), as Istio passes them on. */
export const RETRY_POLICIES = [
  '5xx',
  'gateway-error',
  'reset',
  'reset-before-request',
  'connect-failure',
  'envoy-ratelimited',
  'retriable-4xx',
  'refused-stream',
  'retriable-status-codes',
  'retriable-headers',
  'http3-post-connect-failure',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
];
/** A retry condition: one of the policies above or an HTTP status code from 100 to 599. */
const RETRY_CONDITION_PATTERN = `^(${RETRY_POLICIES.join('|')}|[1-5][0-9][0-9])$`;

const count = (description: string, minimum: number, maximum = INT32_MAX): Schema =>
  integer(description, { minimum, maximum });

const percentage = (description: string): Schema => integer(`${description} A percentage from 0 to 100.`, { minimum: 0, maximum: 100 });

const podCountOrPercentage = (description: string): Schema => ({
  'x-kubernetes-int-or-string': true,
  description: `${description} A pod count such as 1, or a percentage of the pods such as "25%".`,
  // Kubernetes checks `minimum` only on integers and `pattern` only on strings.
  minimum: 0,
  pattern: PERCENT_PATTERN,
});

const outlierDetection: Schema = {
  type: 'object',
  description: 'Ejection of pods that keep failing from the load-balancing pool of callers.',
  minProperties: 1,
  properties: {
    consecutive5xxErrors: count('Consecutive 5xx responses or connection failures that eject a pod. A value of 0 turns this check off. Istio defaults to 5.', 0),
    consecutiveGatewayErrors: count('Consecutive 502, 503 or 504 responses that eject a pod. A value of 0, or none, turns this check off.', 0),
    interval: duration('Time between two ejection sweeps. Istio defaults to 10s.'),
    baseEjectionTime: duration('Minimum ejection time. A pod ejected n times stays out n times as long. Istio defaults to 30s.'),
    maxEjectionPercent: percentage('Maximum share of pods ejected at once. Istio defaults to 10.'),
    minHealthPercent: percentage('Outlier detection pauses while fewer pods than this are healthy. Istio defaults to 0.'),
  },
};

const circuitBreaker: Schema = {
  type: 'object',
  description:
    "Limits that callers' sidecars enforce on traffic to this service, per calling sidecar. " +
    'Unset limits keep Istio defaults, which are effectively unlimited.',
  minProperties: 1,
  properties: {
    maxConnections: count('Maximum HTTP/1.1 and TCP connections to the service.', 1),
    connectTimeout: duration('Timeout of a TCP connect to a pod. Istio defaults to 10s.'),
    maxPendingRequests: count('Maximum requests queued while waiting for a connection.', 1),
    maxRequests: count('Maximum concurrent requests to the service, HTTP/1.1 and HTTP/2 alike.', 1),
    maxRequestsPerConnection: count('Maximum requests over one connection. A value of 1 turns keep-alive off. Unset means unlimited.', 1, MAX_REQUESTS_PER_CONNECTION),
    maxRetries: count('Maximum retries in flight to the service at once.', 1),
    outlierDetection,
  },
};

const retries: Schema = {
  type: 'object',
  description:
    'Retry policy of the HTTP route. Without it, Istio retries twice on connect-failure, ' +
    'refused-stream, unavailable and cancelled.',
  required: ['attempts'],
  properties: {
    attempts: integer("Retries after the first attempt. A value of 0 turns retries off, Istio's default ones included.", {
      minimum: 0,
      maximum: MAX_RETRY_ATTEMPTS,
    }),
    perTryTimeout: duration('Timeout of each attempt. Defaults to the request timeout.'),
    retryOn: {
      type: 'array',
      description:
        'Conditions that trigger a retry: Envoy retry policies such as "5xx", "gateway-error", ' +
        '"connect-failure", gRPC statuses such as "unavailable", or HTTP status codes such as "503".',
      minItems: 1,
      maxItems: 24,
      items: string('Retry condition.', { pattern: RETRY_CONDITION_PATTERN, maxLength: 32 }),
      'x-kubernetes-list-type': 'set',
    },
  },
  'x-kubernetes-validations': ['perTryTimeout', 'retryOn'].map(
    (field): ValidationRule => ({
      rule: `self.attempts > 0 || !has(self.${field})`,
      message: `${field} has no effect when attempts is 0; remove ${field} or set attempts above 0`,
      fieldPath: `.${field}`,
      reason: 'FieldValueForbidden',
    }),
  ),
};

const autoscaling: Schema = {
  type: 'object',
  description:
    'HorizontalPodAutoscaler for the Deployment. While it is enabled, spec.replicas is ignored ' +
    'and the autoscaler owns the replica count.',
  properties: {
    enabled: { type: 'boolean', description: 'Render the autoscaler. Defaults to true.' },
    minReplicas: integer('Lowest pod count. Defaults to 1.', { minimum: 1, maximum: MAX_REPLICAS }),
    maxReplicas: integer('Highest pod count, required while autoscaling is enabled.', { minimum: 1, maximum: MAX_REPLICAS }),
    targetCPUUtilizationPercentage: integer(
      'Average CPU use of the application container as a percentage of its CPU request. ' +
        'Defaults to 80 when neither target is set.',
      { minimum: 1, maximum: MAX_UTILIZATION_PERCENTAGE },
    ),
    targetMemoryUtilizationPercentage: integer(
      'Average memory use of the application container as a percentage of its memory request.',
      { minimum: 1, maximum: MAX_UTILIZATION_PERCENTAGE },
    ),
  },
  'x-kubernetes-validations': [
    {
      rule: '(has(self.enabled) && !self.enabled) || has(self.maxReplicas)',
      message: 'maxReplicas is required while autoscaling is enabled',
      fieldPath: '.maxReplicas',
      reason: 'FieldValueRequired',
    },
    {
      rule: '!has(self.minReplicas) || !has(self.maxReplicas) || self.minReplicas <= self.maxReplicas',
      message: 'minReplicas must not exceed maxReplicas',
      fieldPath: '.minReplicas',
      reason: 'FieldValueInvalid',
    },
  ],
};

const disruptionBudget: Schema = {
  type: 'object',
  description:
    'PodDisruptionBudget over all pods of the service. Defaults to maxUnavailable 1 and is on ' +
    'when the service runs 2 or more pods (minReplicas while autoscaling).',
  properties: {
    enabled: { type: 'boolean', description: 'Render the budget. Unset decides from the pod count.' },
    maxUnavailable: podCountOrPercentage('Pods that a voluntary disruption may take down at once.'),
    minAvailable: podCountOrPercentage('Pods that must stay available during a voluntary disruption.'),
  },
  'x-kubernetes-validations': [
    {
      rule: '!(has(self.maxUnavailable) && has(self.minAvailable))',
      message: 'set maxUnavailable or minAvailable, not both',
      fieldPath: '.minAvailable',
      reason: 'FieldValueForbidden',
    },
  ],
};

const serviceAccount: Schema = {
  type: 'object',
  description: "The ServiceAccount that Flywheel creates and owns for the service's pods.",
  properties: {
    name: string('ServiceAccount name. Defaults to the Microservice name.', {
      pattern: DNS_SUBDOMAIN_PATTERN,
      maxLength: 253,
      'x-kubernetes-validations': [
        {
          rule: "self != 'default'",
          message: "the namespace's default ServiceAccount cannot be owned by a Microservice; choose another name",
        },
      ],
    }),
    iamRoleArn: string('IAM role for the pods through IRSA, set as the eks.amazonaws.com/role-arn annotation.', {
      pattern: IAM_ROLE_ARN_PATTERN,
      maxLength: 2048,
    }),
    automountToken: { type: 'boolean', description: 'Mount a Kubernetes API token into the pods. Defaults to false.' },
  },
};

const autoscalingEnabled = 'has(self.autoscaling) && (!has(self.autoscaling.enabled) || self.autoscaling.enabled)';

/** Utilization targets are relative to requests, so a target without its request can never be computed. */
const utilizationRequestRules: ValidationRule[] = [
  {
    rule:
      `!(${autoscalingEnabled}) || ` +
      '(has(self.autoscaling.targetMemoryUtilizationPercentage) && !has(self.autoscaling.targetCPUUtilizationPercentage)) || ' +
      '(has(self.resources) && has(self.resources.requests) && has(self.resources.requests.cpu))',
    message: 'autoscaling on CPU (targetCPUUtilizationPercentage, 80 by default) needs resources.requests.cpu; set it',
    fieldPath: '.autoscaling',
    reason: 'FieldValueInvalid',
  },
  {
    rule:
      `!(${autoscalingEnabled}) || !has(self.autoscaling.targetMemoryUtilizationPercentage) || ` +
      '(has(self.resources) && has(self.resources.requests) && has(self.resources.requests.memory))',
    message: 'autoscaling.targetMemoryUtilizationPercentage needs resources.requests.memory; set it',
    fieldPath: '.autoscaling.targetMemoryUtilizationPercentage',
    reason: 'FieldValueInvalid',
  },
];

/** The route timeout bounds all attempts together, so a longer per-attempt timeout never fires. */
const perTryTimeoutRule: ValidationRule = {
  rule:
    '!has(self.timeout) || !has(self.retries) || !has(self.retries.perTryTimeout) || ' +
    // Malformed durations fail their own field's checks, and duration() would only add a conversion error.
    `!self.timeout.matches('${DURATION_PATTERN}') || !self.retries.perTryTimeout.matches('${DURATION_PATTERN}') || ` +
    'duration(self.retries.perTryTimeout) <= duration(self.timeout)',
  message: 'retries.perTryTimeout must not exceed timeout',
  fieldPath: '.retries.perTryTimeout',
  reason: 'FieldValueInvalid',
};

export const traffic: SpecFragment = {
  properties: {
    mesh: {
      type: 'object',
      description: 'Istio settings for this service.',
      properties: {
        enabled: {
          type: 'boolean',
          description: 'Render Istio objects for this service when the platform enables the mesh.',
          default: true,
        },
      },
    },
    circuitBreaker,
    timeout: duration('Request timeout of the HTTP route, covering all retries. Unset means no timeout.'),
    retries,
    autoscaling,
    disruptionBudget,
    serviceAccount,
  },
  rules: [...utilizationRequestRules, perTryTimeoutRule],
};
