/**
 * The Istio objects that Flywheel renders are valid against Istio's own CRD schemas
 * (istio.io/api, installed into the local control plane by hack/cluster-up.sh). Each
 * object is server-side applied with strict field validation, so an unknown or
 * misspelled field is an error instead of being dropped, then read back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Microservice, MicroserviceSpec } from '../../cdk8s/src/api/microservice.ts';
import { DEFAULT_PLATFORM } from '../../cdk8s/src/api/platform.ts';
import { renderMicroservice, type KubeObject } from '../../cdk8s/src/render.ts';
import { routeDestinations } from '../../cdk8s/src/traffic/routes.ts';
import { createNamespace, deleteNamespace, kubectl, kubectlJson, requireCluster } from './harness.ts';

let namespace: string;

const MESH_KINDS = new Set(['DestinationRule', 'VirtualService']);

function meshObjects(name: string, spec: Partial<MicroserviceSpec>): KubeObject[] {
  const microservice: Microservice = {
    apiVersion: 'flywheel.dev/v1alpha1',
    kind: 'Microservice',
    metadata: { name, namespace },
    spec: { image: 'ghcr.io/acme/orders:1.0.0', ports: [{ name: 'http', port: 80, targetPort: 8080 }], ...spec },
  };
  return renderMicroservice(microservice, DEFAULT_PLATFORM).filter((object) => MESH_KINDS.has(object.kind));
}

const applyStrict = (object: unknown) =>
  kubectl(['apply', '--server-side', '--validate=strict', '--field-manager=flywheel-schema-test', '-f', '-'], JSON.stringify(object));

const readBack = (object: KubeObject) =>
  kubectlJson<{ spec: unknown }>(['get', `${object.kind.toLowerCase()}.networking.istio.io`, object.metadata.name, '-n', namespace]);

beforeAll(async () => {
  requireCluster();
  namespace = await createNamespace('istio-schema');
});

afterAll(async () => {
  await deleteNamespace(namespace);
});

describe('Istio schema', () => {
  const specs: Array<[string, Partial<MicroserviceSpec>]> = [
    ['minimal', {}],
    [
      'full circuit breaker',
      {
        circuitBreaker: {
          maxConnections: 100,
          connectTimeout: '250ms',
          maxPendingRequests: 10,
          maxRequests: 200,
          maxRequestsPerConnection: 1,
          maxRetries: 3,
          outlierDetection: {
            consecutive5xxErrors: 5,
            consecutiveGatewayErrors: 2,
            interval: '1m30s',
            baseEjectionTime: '30s',
            maxEjectionPercent: 100,
            minHealthPercent: 0,
          },
        },
      },
    ],
    ['connection pool only', { circuitBreaker: { maxConnections: 1 } }],
    ['outlier detection only', { circuitBreaker: { outlierDetection: { consecutive5xxErrors: 0 } } }],
    ['retries off', { retries: { attempts: 0 } }],
    ['retries with all options', { retries: { attempts: 3, perTryTimeout: '1.5s', retryOn: ['5xx', 'reset', 'unavailable', '503'] } }],
    ['timeout only', { timeout: '15s' }],
    ['timeout and retries', { timeout: '2h', retries: { attempts: 2, perTryTimeout: '30m' } }],
    ['gRPC port', { ports: [{ name: 'grpc', port: 9090 }] }],
    ['TCP port only', { ports: [{ name: 'tcp-db', port: 5432 }], circuitBreaker: { maxConnections: 5 } }],
  ];

  it.each(specs)('accepts and stores %s', async (name, spec) => {
    const objects = meshObjects(name.toLowerCase().replace(/[^a-z]+/g, '-'), spec);
    expect(objects.length).toBeGreaterThan(0);
    for (const object of objects) {
      const result = await applyStrict(object);
      expect(result.stderr, `${object.kind} ${object.metadata.name}`).toBe('');
      expect(result.code).toBe(0);
      expect((await readBack(object)).spec).toEqual(object.spec);
    }
  });

  it('accepts a split between subsets', async () => {
    const [rule, service] = meshObjects('split', { retries: { attempts: 1 } }) as [any, any];
    const host = rule.spec.host;
    rule.spec.subsets = [
      { name: 'stable', labels: { 'flywheel.dev/track': 'stable' } },
      { name: 'canary', labels: { 'flywheel.dev/track': 'canary' } },
    ];
    service.spec.http[0].route = routeDestinations(host, [
      { subset: 'stable', weight: 75 },
      { subset: 'canary', weight: 25 },
    ]);
    for (const object of [rule, service]) {
      const result = await applyStrict(object);
      expect(result.stderr).toBe('');
    }
    const stored = (await readBack(service)) as any;
    expect(stored.spec.http[0].route.map((destination: { weight: number }) => destination.weight)).toEqual([75, 25]);
  });

  it('rejects a misspelled field', async () => {
    const [rule] = meshObjects('misspelled', { circuitBreaker: { maxConnections: 1 } }) as [any];
    rule.spec.trafficPolicy.connectionPool.tcp = { maxConection: 1 };
    const result = await applyStrict(rule);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/maxConection: field not declared in schema/);
  });

  it('rejects a duration Istio cannot parse', async () => {
    const [, service] = meshObjects('duration', { timeout: '1s' }) as [any, any];
    service.spec.http[0].timeout = '1 second';
    const result = await applyStrict(service);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/spec\.http\[0\]\.timeout/);
  });

  it('drops a misspelled field without strict validation', async () => {
    // The reason for --validate=strict above: a plain create prunes the unknown field silently.
    const [rule] = meshObjects('lenient', { circuitBreaker: { maxConnections: 1 } }) as [any];
    rule.spec.trafficPolicy.connectionPool.tcp = { maxConection: 1 };
    const result = await kubectl(['create', '--validate=false', '-f', '-'], JSON.stringify(rule));
    expect(result.code).toBe(0);
    const stored = (await readBack(rule)) as any;
    expect(stored.spec.trafficPolicy.connectionPool.tcp).toEqual({});
  });
});
