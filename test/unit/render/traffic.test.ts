import { describe, expect, it } from 'vitest';
import type { Microservice, MicroserviceSpec } from '../../../cdk8s/src/api/microservice.ts';
import { DEFAULT_PLATFORM, type PlatformSettings } from '../../../cdk8s/src/api/platform.ts';
import type { PortSpec } from '../../../cdk8s/src/api/workload.ts';
import { renderMicroservice, type KubeObject } from '../../../cdk8s/src/render.ts';
import { isHttpPort } from '../../../cdk8s/src/traffic/mesh.ts';
import { routeDestinations } from '../../../cdk8s/src/traffic/routes.ts';

const HTTP_PORT: PortSpec = { name: 'http', port: 80, targetPort: 8080 };
const HOST = 'orders.shop.svc.cluster.local';

const microservice = (spec: Partial<MicroserviceSpec> = {}): Microservice => ({
  apiVersion: 'flywheel.dev/v1alpha1',
  kind: 'Microservice',
  metadata: { name: 'orders', namespace: 'shop', uid: 'u1', generation: 1 },
  spec: { image: 'ghcr.io/acme/orders:1.0.0', ports: [HTTP_PORT], ...spec },
});

const render = (spec: Partial<MicroserviceSpec> = {}, platform: PlatformSettings = DEFAULT_PLATFORM) =>
  renderMicroservice(microservice(spec), platform);

const find = (objects: KubeObject[], kind: string) => objects.find((object) => object.kind === kind) as any;

const kinds = (objects: KubeObject[]) => objects.map((object) => object.kind);

/** Every key path in `value`, for checks that must hold at any depth. */
function keyPaths(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, item]) => [`${prefix}${key}`, ...keyPaths(item, `${prefix}${key}.`)]);
}

describe('DestinationRule', () => {
  const full = find(
    render({
      circuitBreaker: {
        maxConnections: 100,
        connectTimeout: '2s',
        maxPendingRequests: 50,
        maxRequests: 200,
        maxRequestsPerConnection: 10,
        maxRetries: 3,
        outlierDetection: {
          consecutive5xxErrors: 5,
          consecutiveGatewayErrors: 3,
          interval: '10s',
          baseEjectionTime: '30s',
          maxEjectionPercent: 50,
          minHealthPercent: 20,
        },
      },
    }),
    'DestinationRule',
  );

  it('uses networking.istio.io/v1', () => {
    expect(full.apiVersion).toBe('networking.istio.io/v1');
  });

  it('names the service FQDN as host', () => {
    expect(full.spec.host).toBe(HOST);
  });

  it('carries the owner labels', () => {
    expect(full.metadata.labels).toMatchObject({ 'flywheel.dev/microservice': 'orders', 'app.kubernetes.io/managed-by': 'flywheel' });
  });

  it('maps TCP pool limits', () => {
    expect(full.spec.trafficPolicy.connectionPool.tcp).toEqual({ maxConnections: 100, connectTimeout: '2s' });
  });

  it('maps HTTP pool limits', () => {
    expect(full.spec.trafficPolicy.connectionPool.http).toEqual({
      http1MaxPendingRequests: 50,
      http2MaxRequests: 200,
      maxRequestsPerConnection: 10,
      maxRetries: 3,
    });
  });

  it('maps outlier detection', () => {
    expect(full.spec.trafficPolicy.outlierDetection).toEqual({
      consecutive5xxErrors: 5,
      consecutiveGatewayErrors: 3,
      interval: '10s',
      baseEjectionTime: '30s',
      maxEjectionPercent: 50,
      minHealthPercent: 20,
    });
  });

  it('keeps a zero error count, which turns a check off', () => {
    const rule = find(render({ circuitBreaker: { outlierDetection: { consecutive5xxErrors: 0 } } }), 'DestinationRule');
    expect(rule.spec.trafficPolicy.outlierDetection).toEqual({ consecutive5xxErrors: 0 });
  });

  it('has no tls block', () => {
    expect(keyPaths(full.spec).filter((path) => path.split('.').includes('tls'))).toEqual([]);
  });

  it('has no trafficPolicy by default', () => {
    const rule = find(render(), 'DestinationRule');
    expect(rule.spec).toEqual({ host: HOST });
  });

  const partial: Array<[string, MicroserviceSpec['circuitBreaker'], unknown]> = [
    ['only a TCP limit', { maxConnections: 1 }, { connectionPool: { tcp: { maxConnections: 1 } } }],
    ['only an HTTP limit', { maxRequests: 7 }, { connectionPool: { http: { http2MaxRequests: 7 } } }],
    ['only outlier detection', { outlierDetection: { interval: '5s' } }, { outlierDetection: { interval: '5s' } }],
  ];
  it.each(partial)('renders %s without empty blocks', (_name, circuitBreaker, expected) => {
    const rule = find(render({ circuitBreaker }), 'DestinationRule');
    expect(rule.spec.trafficPolicy).toEqual(expected);
  });
});

describe('VirtualService', () => {
  const service = find(render({ timeout: '15s', retries: { attempts: 3, perTryTimeout: '5s', retryOn: ['5xx', 'reset', '503'] } }), 'VirtualService');
  const route = service.spec.http[0];

  it('uses networking.istio.io/v1', () => {
    expect(service.apiVersion).toBe('networking.istio.io/v1');
  });

  it('matches the short name and the FQDN', () => {
    expect(service.spec.hosts).toEqual(['orders', HOST]);
  });

  it('has one HTTP route', () => {
    expect(service.spec.http).toHaveLength(1);
  });

  it('sends all requests to the service', () => {
    expect(route.route).toEqual([{ destination: { host: HOST }, weight: 100 }]);
  });

  it('sets the request timeout', () => {
    expect(route.timeout).toBe('15s');
  });

  it('joins retry conditions with commas', () => {
    expect(route.retries).toEqual({ attempts: 3, perTryTimeout: '5s', retryOn: '5xx,reset,503' });
  });

  it('leaves out timeout and retries by default', () => {
    const plain = find(render(), 'VirtualService').spec.http[0];
    expect(plain.timeout).toBeUndefined();
    expect(plain.retries).toBeUndefined();
  });

  it('turns Istio default retries off with zero attempts', () => {
    const off = find(render({ retries: { attempts: 0 } }), 'VirtualService').spec.http[0];
    expect(off.retries).toEqual({ attempts: 0 });
  });

  it('renders retries without optional fields', () => {
    const bare = find(render({ retries: { attempts: 2 } }), 'VirtualService').spec.http[0];
    expect(bare.retries).toEqual({ attempts: 2 });
  });
});

describe('route destinations', () => {
  it('default to one destination at weight 100', () => {
    expect(routeDestinations(HOST)).toEqual([{ destination: { host: HOST }, weight: 100 }]);
  });

  it('split between subsets', () => {
    const split = routeDestinations(HOST, [
      { subset: 'stable', weight: 90 },
      { subset: 'canary', weight: 10 },
    ]);
    expect(split).toEqual([
      { destination: { host: HOST, subset: 'stable' }, weight: 90 },
      { destination: { host: HOST, subset: 'canary' }, weight: 10 },
    ]);
  });

  it('sum to 100', () => {
    const split = routeDestinations(HOST, [
      { subset: 'stable', weight: 67 },
      { subset: 'canary', weight: 33 },
    ]);
    expect(split.reduce((sum, destination) => sum + destination.weight, 0)).toBe(100);
  });

  const invalid: Array<[string, Array<{ subset?: string; weight: number }>, RegExp]> = [
    ['no targets', [], /no route destinations/],
    ['a sum below 100', [{ subset: 'stable', weight: 90 }], /sum to 90, not 100/],
    ['a sum above 100', [{ subset: 'stable', weight: 90 }, { subset: 'canary', weight: 20 }], /sum to 110, not 100/],
    ['a negative weight', [{ subset: 'canary', weight: -10 }, { subset: 'stable', weight: 110 }], /weight -10 .* is invalid/],
    ['a fractional weight', [{ subset: 'stable', weight: 99.5 }, { subset: 'canary', weight: 0.5 }], /weight 99.5 .* is invalid/],
    ['a repeated subset', [{ subset: 'stable', weight: 50 }, { subset: 'stable', weight: 50 }], /subset stable .* appears twice/],
  ];
  it.each(invalid)('reject %s', (_name, targets, message) => {
    expect(() => routeDestinations(HOST, targets)).toThrow(message);
  });
});

describe('mesh objects', () => {
  const meshOff: PlatformSettings = { ...DEFAULT_PLATFORM, mesh: { enabled: false } };

  const cases: Array<[string, Partial<MicroserviceSpec>, PlatformSettings, string[]]> = [
    ['an HTTP port', {}, DEFAULT_PLATFORM, ['DestinationRule', 'VirtualService']],
    ['the mesh off on the platform', {}, meshOff, []],
    ['the mesh off in the spec', { mesh: { enabled: false } }, DEFAULT_PLATFORM, []],
    ['no ports', { ports: [] }, DEFAULT_PLATFORM, []],
    ['only TCP ports', { ports: [{ name: 'tcp-db', port: 5432 }] }, DEFAULT_PLATFORM, ['DestinationRule']],
    ['only UDP ports', { ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }, DEFAULT_PLATFORM, ['DestinationRule']],
    [
      'a TCP and a gRPC port',
      { ports: [{ name: 'redis', port: 6379 }, { name: 'api', port: 9090, appProtocol: 'grpc' }] },
      DEFAULT_PLATFORM,
      ['DestinationRule', 'VirtualService'],
    ],
  ];
  it.each(cases)('with %s', (_name, spec, platform, expected) => {
    const rendered = kinds(render(spec, platform)).filter((kind) => kind === 'DestinationRule' || kind === 'VirtualService');
    expect(rendered).toEqual(expected);
  });
});

describe('HTTP port detection', () => {
  const cases: Array<[PortSpec, boolean]> = [
    [{ name: 'http', port: 80 }, true],
    [{ name: 'http-admin', port: 81 }, true],
    [{ name: 'grpc-api', port: 9090 }, true],
    [{ name: 'web', port: 80 }, true],
    [{ name: 'web', port: 80, appProtocol: 'kubernetes.io/h2c' }, true],
    [{ name: 'tcp-db', port: 5432 }, false],
    [{ name: 'https', port: 443 }, false],
    [{ name: 'http', port: 80, appProtocol: 'tcp' }, false],
    [{ name: 'mongo', port: 27017 }, false],
    [{ name: 'web', port: 80, protocol: 'UDP' }, false],
    [{ name: 'web', port: 80, protocol: 'SCTP' }, false],
  ];
  it.each(cases)('%o is HTTP: %s', (port, expected) => {
    expect(isHttpPort(port)).toBe(expected);
  });
});

describe('HorizontalPodAutoscaler', () => {
  const resources = { requests: { cpu: '100m', memory: '128Mi' } };
  const objects = render({
    replicas: 3,
    resources,
    autoscaling: { minReplicas: 2, maxReplicas: 10, targetCPUUtilizationPercentage: 70, targetMemoryUtilizationPercentage: 85 },
  });
  const autoscaler = find(objects, 'HorizontalPodAutoscaler');

  it('uses autoscaling/v2', () => {
    expect(autoscaler.apiVersion).toBe('autoscaling/v2');
  });

  it('targets the Deployment', () => {
    expect(autoscaler.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'orders' });
  });

  it('sets the replica bounds', () => {
    expect(autoscaler.spec.minReplicas).toBe(2);
    expect(autoscaler.spec.maxReplicas).toBe(10);
  });

  it('scales on the app container CPU and memory', () => {
    expect(autoscaler.spec.metrics).toEqual([
      { type: 'ContainerResource', containerResource: { name: 'cpu', container: 'app', target: { type: 'Utilization', averageUtilization: 70 } } },
      { type: 'ContainerResource', containerResource: { name: 'memory', container: 'app', target: { type: 'Utilization', averageUtilization: 85 } } },
    ]);
  });

  it('leaves replicas out of the Deployment', () => {
    expect(find(objects, 'Deployment').spec).not.toHaveProperty('replicas');
  });

  it('defaults to one replica and 80% CPU', () => {
    const defaults = find(render({ resources, autoscaling: { maxReplicas: 4 } }), 'HorizontalPodAutoscaler');
    expect(defaults.spec.minReplicas).toBe(1);
    expect(defaults.spec.metrics).toEqual([
      { type: 'ContainerResource', containerResource: { name: 'cpu', container: 'app', target: { type: 'Utilization', averageUtilization: 80 } } },
    ]);
  });

  it('scales on memory alone when only memory is set', () => {
    const memory = find(render({ resources, autoscaling: { maxReplicas: 4, targetMemoryUtilizationPercentage: 75 } }), 'HorizontalPodAutoscaler');
    expect(memory.spec.metrics.map((metric: any) => metric.containerResource.name)).toEqual(['memory']);
  });

  it('uses pod metrics before Kubernetes 1.30', () => {
    const older = find(render({ resources, autoscaling: { maxReplicas: 4 } }, { ...DEFAULT_PLATFORM, kubernetesVersion: '1.29' }), 'HorizontalPodAutoscaler');
    expect(older.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
  });

  it('is absent when disabled', () => {
    const disabled = render({ replicas: 3, autoscaling: { enabled: false, maxReplicas: 4 } });
    expect(find(disabled, 'HorizontalPodAutoscaler')).toBeUndefined();
    expect(find(disabled, 'Deployment').spec.replicas).toBe(3);
  });

  it('is absent by default', () => {
    expect(find(render(), 'HorizontalPodAutoscaler')).toBeUndefined();
  });

  it('rejects a missing maxReplicas', () => {
    expect(() => render({ resources, autoscaling: { minReplicas: 2 } })).toThrow(/spec\.autoscaling\.maxReplicas is missing in Microservice shop\/orders/);
  });

  it('rejects a malformed platform version', () => {
    expect(() => render({ resources, autoscaling: { maxReplicas: 4 } }, { ...DEFAULT_PLATFORM, kubernetesVersion: 'v1.30' })).toThrow(
      /platform Kubernetes version "v1.30" is invalid/,
    );
  });
});

describe('PodDisruptionBudget', () => {
  const cases: Array<[string, Partial<MicroserviceSpec>, boolean]> = [
    ['1 replica', { replicas: 1 }, false],
    ['no replicas set', {}, false],
    ['2 replicas', { replicas: 2 }, true],
    ['0 replicas', { replicas: 0 }, false],
    ['autoscaling from 1', { replicas: 5, resources: { requests: { cpu: '1' } }, autoscaling: { maxReplicas: 5 } }, false],
    ['autoscaling from 2', { replicas: 1, resources: { requests: { cpu: '1' } }, autoscaling: { minReplicas: 2, maxReplicas: 5 } }, true],
    ['enabled at 1 replica', { replicas: 1, disruptionBudget: { enabled: true } }, true],
    ['disabled at 3 replicas', { replicas: 3, disruptionBudget: { enabled: false } }, false],
  ];
  it.each(cases)('exists with %s: %s', (_name, spec, expected) => {
    expect(find(render(spec), 'PodDisruptionBudget') !== undefined).toBe(expected);
  });

  const budget = find(render({ replicas: 3 }), 'PodDisruptionBudget');

  it('uses policy/v1', () => {
    expect(budget.apiVersion).toBe('policy/v1');
  });

  it('selects all pods of the service', () => {
    expect(budget.spec.selector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'orders', 'app.kubernetes.io/instance': 'orders' } });
  });

  it('defaults to maxUnavailable 1', () => {
    expect(budget.spec.maxUnavailable).toBe(1);
    expect(budget.spec).not.toHaveProperty('minAvailable');
  });

  it('lets unhealthy pods be evicted', () => {
    expect(budget.spec.unhealthyPodEvictionPolicy).toBe('AlwaysAllow');
  });

  it('leaves the eviction policy out before Kubernetes 1.27', () => {
    const older = find(render({ replicas: 3 }, { ...DEFAULT_PLATFORM, kubernetesVersion: '1.26' }), 'PodDisruptionBudget');
    expect(older.spec).not.toHaveProperty('unhealthyPodEvictionPolicy');
  });

  const values: Array<[string, MicroserviceSpec['disruptionBudget'], Record<string, unknown>]> = [
    ['maxUnavailable as a count', { maxUnavailable: 2 }, { maxUnavailable: 2 }],
    ['maxUnavailable as a percentage', { maxUnavailable: '25%' }, { maxUnavailable: '25%' }],
    ['minAvailable as a count', { minAvailable: 2 }, { minAvailable: 2 }],
    ['minAvailable as a percentage', { minAvailable: '50%' }, { minAvailable: '50%' }],
  ];
  it.each(values)('passes %s', (_name, disruptionBudget, expected) => {
    const spec = find(render({ replicas: 4, disruptionBudget }), 'PodDisruptionBudget').spec;
    const { selector: _selector, unhealthyPodEvictionPolicy: _policy, ...rest } = spec;
    expect(rest).toEqual(expected);
  });
});

describe('ServiceAccount', () => {
  const defaults = render();
  const account = find(defaults, 'ServiceAccount');
  const pod = find(defaults, 'Deployment').spec.template.spec;

  it('is named after the Microservice', () => {
    expect(account.metadata.name).toBe('orders');
  });

  it('carries the owner labels', () => {
    expect(account.metadata.labels).toMatchObject({ 'flywheel.dev/microservice': 'orders' });
  });

  it('does not mount a token by default', () => {
    expect(account.automountServiceAccountToken).toBe(false);
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it('runs the pods', () => {
    expect(pod.serviceAccountName).toBe('orders');
  });

  it('has no annotations without a role', () => {
    expect(account.metadata.annotations).toBeUndefined();
  });

  const custom = render({
    serviceAccount: { name: 'orders-reader', iamRoleArn: 'arn:aws:iam::123456789012:role/orders', automountToken: true },
  });

  it('sets the IRSA role annotation', () => {
    expect(find(custom, 'ServiceAccount').metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/orders' });
  });

  it('takes the given name', () => {
    expect(find(custom, 'ServiceAccount').metadata.name).toBe('orders-reader');
    expect(find(custom, 'Deployment').spec.template.spec.serviceAccountName).toBe('orders-reader');
  });

  it('mounts a token on request', () => {
    expect(find(custom, 'ServiceAccount').automountServiceAccountToken).toBe(true);
    expect(find(custom, 'Deployment').spec.template.spec.automountServiceAccountToken).toBe(true);
  });

  it('comes before the Deployment', () => {
    const order = kinds(defaults);
    expect(order.indexOf('ServiceAccount')).toBeLessThan(order.indexOf('Deployment'));
  });
});

describe('rendering order', () => {
  it('keeps the Deployment last', () => {
    const objects = render({
      replicas: 3,
      resources: { requests: { cpu: '100m' } },
      autoscaling: { minReplicas: 2, maxReplicas: 4 },
      circuitBreaker: { maxConnections: 1 },
    });
    expect(kinds(objects).at(-1)).toBe('Deployment');
  });
});
