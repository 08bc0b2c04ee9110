/**
 * The API server rejects invalid traffic, scaling, disruption budget and service account
 * settings through the Microservice CRD's schema and CEL rules, with a message that
 * names the field. Each case is applied with kubectl, as a user would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyCrd, createNamespace, deleteNamespace, kubectl } from './harness.ts';

let namespace: string;

const microservice = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'flywheel.dev/v1alpha1',
  kind: 'Microservice',
  metadata: { name, namespace },
  spec: {
    image: 'ghcr.io/acme/orders:1.0.0',
    ports: [{ name: 'http', port: 80, targetPort: 8080 }],
    ...spec,
  },
});

const apply = (object: unknown) => kubectl(['apply', '-f', '-'], JSON.stringify(object));

const cpuRequest = { resources: { requests: { cpu: '100m' } } };

beforeAll(async () => {
  await applyCrd();
  namespace = await createNamespace('traffic-validation');
});

afterAll(async () => {
  await deleteNamespace(namespace);
});

describe('traffic validation', () => {
  const rejected: Array<[string, Record<string, unknown>, RegExp]> = [
    // Counts and percentages.
    ['negative maxConnections', { circuitBreaker: { maxConnections: -1 } }, /spec\.circuitBreaker\.maxConnections: Invalid value: -1/],
    ['zero maxRequests', { circuitBreaker: { maxRequests: 0 } }, /spec\.circuitBreaker\.maxRequests: Invalid value: 0/],
    ['negative maxPendingRequests', { circuitBreaker: { maxPendingRequests: -5 } }, /spec\.circuitBreaker\.maxPendingRequests: Invalid value: -5/],
    ['negative maxRetries', { circuitBreaker: { maxRetries: -1 } }, /spec\.circuitBreaker\.maxRetries: Invalid value: -1/],
    [
      'maxRequestsPerConnection above 2^29',
      { circuitBreaker: { maxRequestsPerConnection: 536870913 } },
      /spec\.circuitBreaker\.maxRequestsPerConnection: Invalid value: 536870913/,
    ],
    [
      'negative consecutive5xxErrors',
      { circuitBreaker: { outlierDetection: { consecutive5xxErrors: -1 } } },
      /spec\.circuitBreaker\.outlierDetection\.consecutive5xxErrors: Invalid value: -1/,
    ],
    [
      'maxEjectionPercent over 100',
      { circuitBreaker: { outlierDetection: { maxEjectionPercent: 101 } } },
      /spec\.circuitBreaker\.outlierDetection\.maxEjectionPercent: Invalid value: 101/,
    ],
    [
      'minHealthPercent over 100',
      { circuitBreaker: { outlierDetection: { minHealthPercent: 150 } } },
      /spec\.circuitBreaker\.outlierDetection\.minHealthPercent: Invalid value: 150/,
    ],
    ['empty circuitBreaker', { circuitBreaker: {} }, /spec\.circuitBreaker: Invalid value: 0.*at least 1 properties/],
    [
      'empty outlierDetection',
      { circuitBreaker: { outlierDetection: {} } },
      /spec\.circuitBreaker\.outlierDetection: Invalid value: 0.*at least 1 properties/,
    ],

    // Durations.
    ['a duration with a space', { timeout: '5 sec' }, /spec\.timeout: Invalid value: "5 sec"/],
    ['a duration, explained', { timeout: '5 sec' }, /spec\.timeout: .*must be a duration such as "250ms", "5s" or "1m30s"/],
    ['a negative duration', { timeout: '-1s' }, /spec\.timeout: Invalid value: "-1s"/],
    ['a duration in microseconds', { timeout: '500us' }, /spec\.timeout: Invalid value: "500us"/],
    ['a duration below 1ms', { timeout: '0.5ms' }, /spec\.timeout: Invalid value: .*must be at least 1ms/],
    ['a zero duration', { timeout: '0s' }, /spec\.timeout: Invalid value: .*must be at least 1ms/],
    ['a bare number as duration', { timeout: '5' }, /spec\.timeout: Invalid value: "5"/],
    [
      'a malformed connectTimeout',
      { circuitBreaker: { connectTimeout: '2 seconds' } },
      /spec\.circuitBreaker\.connectTimeout: Invalid value: "2 seconds"/,
    ],
    [
      'a malformed outlier interval',
      { circuitBreaker: { outlierDetection: { interval: '10' } } },
      /spec\.circuitBreaker\.outlierDetection\.interval: Invalid value: "10"/,
    ],
    [
      'a baseEjectionTime below 1ms',
      { circuitBreaker: { outlierDetection: { baseEjectionTime: '0.1ms' } } },
      /spec\.circuitBreaker\.outlierDetection\.baseEjectionTime: Invalid value: .*must be at least 1ms/,
    ],

    // Retries.
    [
      'zero attempts with a perTryTimeout',
      { retries: { attempts: 0, perTryTimeout: '2s' } },
      /spec\.retries\.perTryTimeout: Forbidden: perTryTimeout has no effect when attempts is 0/,
    ],
    [
      'zero attempts with retryOn',
      { retries: { attempts: 0, retryOn: ['5xx'] } },
      /spec\.retries\.retryOn: Forbidden: retryOn has no effect when attempts is 0/,
    ],
    ['negative attempts', { retries: { attempts: -1 } }, /spec\.retries\.attempts: Invalid value: -1/],
    ['attempts above 10', { retries: { attempts: 11 } }, /spec\.retries\.attempts: Invalid value: 11/],
    ['retries without attempts', { retries: { perTryTimeout: '1s' } }, /spec\.retries\.attempts: Required value/],
    ['an unknown retry condition', { retries: { attempts: 2, retryOn: ['5xx', 'sometimes'] } }, /spec\.retries\.retryOn\[1\]: Invalid value: "sometimes"/],
    ['a repeated retry condition', { retries: { attempts: 2, retryOn: ['5xx', '5xx'] } }, /spec\.retries\.retryOn\[1\]: Duplicate value: "5xx"/],
    ['a status code out of range', { retries: { attempts: 2, retryOn: ['600'] } }, /spec\.retries\.retryOn\[0\]: Invalid value: "600"/],
    [
      'a perTryTimeout above the timeout',
      { timeout: '1s', retries: { attempts: 2, perTryTimeout: '2s' } },
      /spec\.retries\.perTryTimeout: Invalid value: .*retries\.perTryTimeout must not exceed timeout/,
    ],

    // Autoscaling.
    [
      'minReplicas above maxReplicas',
      { ...cpuRequest, autoscaling: { minReplicas: 5, maxReplicas: 3 } },
      /spec\.autoscaling\.minReplicas: Invalid value: .*minReplicas must not exceed maxReplicas/,
    ],
    [
      'autoscaling without maxReplicas',
      { ...cpuRequest, autoscaling: { minReplicas: 2 } },
      /spec\.autoscaling\.maxReplicas: Required value: maxReplicas is required while autoscaling is enabled/,
    ],
    ['zero minReplicas', { ...cpuRequest, autoscaling: { minReplicas: 0, maxReplicas: 3 } }, /spec\.autoscaling\.minReplicas: Invalid value: 0/],
    ['negative maxReplicas', { ...cpuRequest, autoscaling: { maxReplicas: -2 } }, /spec\.autoscaling\.maxReplicas: Invalid value: -2/],
    [
      'a zero CPU target',
      { ...cpuRequest, autoscaling: { maxReplicas: 3, targetCPUUtilizationPercentage: 0 } },
      /spec\.autoscaling\.targetCPUUtilizationPercentage: Invalid value: 0/,
    ],
    [
      'CPU autoscaling without a CPU request',
      { autoscaling: { maxReplicas: 3 } },
      /spec\.autoscaling: Invalid value: .*needs resources\.requests\.cpu/,
    ],
    [
      'memory autoscaling without a memory request',
      { ...cpuRequest, autoscaling: { maxReplicas: 3, targetMemoryUtilizationPercentage: 80 } },
      /spec\.autoscaling\.targetMemoryUtilizationPercentage: Invalid value: .*needs resources\.requests\.memory/,
    ],

    // Disruption budget.
    [
      'both maxUnavailable and minAvailable',
      { disruptionBudget: { maxUnavailable: 1, minAvailable: 1 } },
      /spec\.disruptionBudget\.minAvailable: Forbidden: set maxUnavailable or minAvailable, not both/,
    ],
    ['a negative maxUnavailable', { disruptionBudget: { maxUnavailable: -1 } }, /spec\.disruptionBudget\.maxUnavailable: Invalid value: -1/],
    ['a percentage over 100', { disruptionBudget: { maxUnavailable: '150%' } }, /spec\.disruptionBudget\.maxUnavailable: Invalid value: "150%"/],
    ['a count as a string', { disruptionBudget: { minAvailable: '3' } }, /spec\.disruptionBudget\.minAvailable: Invalid value: "3"/],

    // Service account.
    [
      'the default ServiceAccount',
      { serviceAccount: { name: 'default' } },
      /spec\.serviceAccount\.name: Invalid value: .*default ServiceAccount cannot be owned/,
    ],
    ['an invalid ServiceAccount name', { serviceAccount: { name: 'Orders_SA' } }, /spec\.serviceAccount\.name: Invalid value: "Orders_SA"/],
    [
      'a role ARN with a short account ID',
      { serviceAccount: { iamRoleArn: 'arn:aws:iam::1234:role/orders' } },
      /spec\.serviceAccount\.iamRoleArn: Invalid value: "arn:aws:iam::1234:role\/orders"/,
    ],
    [
      'a user ARN as role',
      { serviceAccount: { iamRoleArn: 'arn:aws:iam::123456789012:user/orders' } },
      /spec\.serviceAccount\.iamRoleArn: Invalid value: "arn:aws:iam::123456789012:user\/orders"/,
    ],
  ];

  it.each(rejected)('rejects %s', async (_name, spec, message) => {
    const result = await apply(microservice('invalid', spec));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(message);
  });

  it('leaves nothing behind after rejections', async () => {
    const result = await kubectl(['get', 'microservice', 'invalid', '-n', namespace]);
    expect(result.code).not.toBe(0);
  });

  const accepted: Array<[string, Record<string, unknown>]> = [
    ['a compound duration', { timeout: '1m30s' }],
    ['a fractional duration', { timeout: '1.5s' }],
    ['zero attempts alone', { retries: { attempts: 0 } }],
    ['status codes as retry conditions', { retries: { attempts: 2, retryOn: ['503', 'gateway-error', 'unavailable'] } }],
    ['a perTryTimeout equal to the timeout', { timeout: '2s', retries: { attempts: 1, perTryTimeout: '2s' } }],
    ['a full circuit breaker', {
      circuitBreaker: {
        maxConnections: 100,
        connectTimeout: '250ms',
        maxPendingRequests: 10,
        maxRequests: 100,
        maxRequestsPerConnection: 1,
        maxRetries: 3,
        outlierDetection: { consecutive5xxErrors: 0, consecutiveGatewayErrors: 3, interval: '5s', baseEjectionTime: '1m', maxEjectionPercent: 100, minHealthPercent: 0 },
      },
    }],
    ['memory-only autoscaling', { resources: { requests: { memory: '128Mi' } }, autoscaling: { maxReplicas: 3, targetMemoryUtilizationPercentage: 90 } }],
    ['a CPU target above 100', { ...cpuRequest, autoscaling: { maxReplicas: 3, targetCPUUtilizationPercentage: 150 } }],
    ['disabled autoscaling without bounds', { autoscaling: { enabled: false } }],
    ['a percentage budget', { disruptionBudget: { minAvailable: '50%' } }],
    ['a zero maxUnavailable', { disruptionBudget: { maxUnavailable: 0 } }],
    ['a role ARN in another partition', { serviceAccount: { iamRoleArn: 'arn:aws-us-gov:iam::123456789012:role/team/orders' } }],
  ];

  it.each(accepted)('accepts %s', async (_name, spec) => {
    const result = await kubectl(['apply', '--dry-run=server', '-f', '-'], JSON.stringify(microservice('valid', spec)));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
