/**
 * Traffic, scaling and identity objects with the operator running on the local control
 * plane: the defaults it creates, how it shares the Deployment's replica count with an
 * autoscaler and with `kubectl scale`, and how switching a feature off removes what the
 * feature created, fields included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyCrd,
  createNamespace,
  deleteNamespace,
  kubectl,
  kubectlJson,
  kubectlOk,
  startOperator,
  waitFor,
  type OperatorProcess,
} from './harness.ts';

interface Live {
  metadata: { name: string; resourceVersion: string; annotations?: Record<string, string>; managedFields?: Array<{ manager: string }> };
  spec?: any;
  automountServiceAccountToken?: boolean;
}

const CONFIG_HASH = 'flywheel.dev/config-hash';

let namespace: string;
let operator: OperatorProcess;

const operatorArgs = () => ['--namespaces', namespace, '--log-level', 'debug'];

const microservice = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'flywheel.dev/v1alpha1',
  kind: 'Microservice',
  metadata: { name, namespace },
  spec: {
    image: 'ghcr.io/acme/orders:1.0.0',
    ports: [{ name: 'http', port: 80, targetPort: 8080 }],
    resources: { requests: { cpu: '100m', memory: '64Mi' } },
    ...spec,
  },
});

const apply = async (object: unknown) => kubectlOk(['apply', '-f', '-'], JSON.stringify(object));

const patchSpec = (name: string, spec: Record<string, unknown>) =>
  kubectlOk(['patch', 'microservice', name, '-n', namespace, '--type=merge', '-p', JSON.stringify({ spec })]);

const get = (kind: string, name: string) => kubectlJson<Live>(['get', kind, name, '-n', namespace]);

const tryGet = async (kind: string, name: string): Promise<Live | undefined> => {
  const result = await kubectl(['get', kind, name, '-n', namespace, '-o', 'json']);
  return result.code === 0 ? (JSON.parse(result.stdout) as Live) : undefined;
};

const waitPresent = (kind: string, name: string) => waitFor(`${kind} ${name}`, () => tryGet(kind, name));

const waitAbsent = (kind: string, name: string) =>
  waitFor(`${kind} ${name} to be deleted`, async () => ((await tryGet(kind, name)) ? undefined : true));

/** Waits until `kind/name` carries a config hash other than `previous`, meaning the operator applied a new version. */
const waitReapplied = (kind: string, name: string, previous: string | undefined) =>
  waitFor(`${kind} ${name} to be applied again`, async () => {
    const live = await tryGet(kind, name);
    const hash = live?.metadata.annotations?.[CONFIG_HASH];
    return hash && hash !== previous ? live : undefined;
  });

const reconcileCount = (name: string) =>
  operator.logs.filter((line) => line.message === 'reconciled' && line.name === name).length;

/** Waits for `count` more finished reconciles of Microservice `name`. */
async function waitReconciles(name: string, count: number, poke: () => Promise<unknown>): Promise<void> {
  const target = reconcileCount(name) + count;
  for (let i = 0; i < count; i += 1) {
    const before = reconcileCount(name);
    await poke();
    await waitFor(`a reconcile of ${name}`, async () => (reconcileCount(name) > before ? true : undefined));
  }
  expect(reconcileCount(name)).toBeGreaterThanOrEqual(target);
}

const pokeLabel = (name: string) => {
  let counter = 0;
  return () => kubectlOk(['label', 'microservice', name, '-n', namespace, `flywheel.dev/test-poke=${(counter += 1)}`, '--overwrite']);
};

const replicasOf = async (name: string) => (await get('deployment', name)).spec.replicas as number;

beforeAll(async () => {
  await applyCrd();
  namespace = await createNamespace('traffic');
  operator = startOperator(operatorArgs());
});

afterAll(async () => {
  await operator?.stop();
  await deleteNamespace(namespace);
});

describe('traffic defaults', () => {
  beforeAll(async () => {
    await apply(microservice('pair', { replicas: 2 }));
    await apply(microservice('single', { replicas: 1 }));
    // The Deployment is applied last, so once it exists every other object of the pass does too.
    await waitPresent('deployment', 'pair');
    await waitPresent('deployment', 'single');
  });

  it('creates a PodDisruptionBudget at 2 replicas', async () => {
    const budget = await waitPresent('poddisruptionbudget', 'pair');
    expect(budget.spec.maxUnavailable).toBe(1);
  });

  it('creates no PodDisruptionBudget at 1 replica', async () => {
    expect(await tryGet('poddisruptionbudget', 'single')).toBeUndefined();
  });

  it('creates a ServiceAccount without a token', async () => {
    const account = await get('serviceaccount', 'pair');
    expect(account.automountServiceAccountToken).toBe(false);
  });

  it('runs pods as the ServiceAccount', async () => {
    const pod = (await get('deployment', 'pair')).spec.template.spec;
    expect(pod.serviceAccountName).toBe('pair');
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it('creates a DestinationRule and a VirtualService', async () => {
    const rule = await get('destinationrule.networking.istio.io', 'pair');
    const service = await get('virtualservice.networking.istio.io', 'pair');
    expect(rule.spec).toEqual({ host: `pair.${namespace}.svc.cluster.local` });
    expect(service.spec.http[0].route).toEqual([{ destination: { host: `pair.${namespace}.svc.cluster.local` }, weight: 100 }]);
  });

  it('creates no HorizontalPodAutoscaler', async () => {
    expect(await tryGet('horizontalpodautoscaler', 'pair')).toBeUndefined();
  });

  it('keeps spec.replicas on the Deployment', async () => {
    expect(await replicasOf('pair')).toBe(2);
  });

  it('adds the budget at 2 replicas', async () => {
    await patchSpec('single', { replicas: 2 });
    const budget = await waitPresent('poddisruptionbudget', 'single');
    expect(budget.metadata.name).toBe('single');
  });
});

describe('traffic settings', () => {
  const resilient = {
    replicas: 2,
    timeout: '10s',
    retries: { attempts: 3, perTryTimeout: '2s', retryOn: ['5xx', 'connect-failure'] },
    circuitBreaker: { maxConnections: 50, outlierDetection: { consecutive5xxErrors: 3, interval: '5s' } },
    serviceAccount: { iamRoleArn: 'arn:aws:iam::123456789012:role/orders' },
  };

  beforeAll(async () => {
    await apply(microservice('resilient', resilient));
    await waitPresent('deployment', 'resilient');
  });

  it('sets timeout and retries on the route', async () => {
    const route = (await get('virtualservice.networking.istio.io', 'resilient')).spec.http[0];
    expect(route.timeout).toBe('10s');
    expect(route.retries).toEqual({ attempts: 3, perTryTimeout: '2s', retryOn: '5xx,connect-failure' });
  });

  it('sets the circuit breaker on the DestinationRule', async () => {
    const policy = (await get('destinationrule.networking.istio.io', 'resilient')).spec.trafficPolicy;
    expect(policy).toEqual({ connectionPool: { tcp: { maxConnections: 50 } }, outlierDetection: { consecutive5xxErrors: 3, interval: '5s' } });
  });

  it('annotates the ServiceAccount with the IAM role', async () => {
    const account = await get('serviceaccount', 'resilient');
    expect(account.metadata.annotations?.['eks.amazonaws.com/role-arn']).toBe('arn:aws:iam::123456789012:role/orders');
  });

  it('drops a removed timeout', async () => {
    const before = await get('virtualservice.networking.istio.io', 'resilient');
    await kubectlOk(['patch', 'microservice', 'resilient', '-n', namespace, '--type=json', '-p', '[{"op":"remove","path":"/spec/timeout"}]']);
    const after = await waitReapplied('virtualservice.networking.istio.io', 'resilient', before.metadata.annotations?.[CONFIG_HASH]);
    expect(after.spec.http[0]).not.toHaveProperty('timeout');
    expect(after.spec.http[0].retries.attempts).toBe(3);
  });

  it('turns retries off with zero attempts', async () => {
    const before = await get('virtualservice.networking.istio.io', 'resilient');
    await patchSpec('resilient', { retries: { attempts: 0, perTryTimeout: null, retryOn: null } });
    const after = await waitReapplied('virtualservice.networking.istio.io', 'resilient', before.metadata.annotations?.[CONFIG_HASH]);
    expect(after.spec.http[0].retries).toEqual({ attempts: 0 });
  });

  it('drops a removed circuit breaker', async () => {
    const before = await get('destinationrule.networking.istio.io', 'resilient');
    await patchSpec('resilient', { circuitBreaker: null });
    const after = await waitReapplied('destinationrule.networking.istio.io', 'resilient', before.metadata.annotations?.[CONFIG_HASH]);
    expect(after.spec).not.toHaveProperty('trafficPolicy');
  });

  it('drops a removed IAM role', async () => {
    const before = await get('serviceaccount', 'resilient');
    await patchSpec('resilient', { serviceAccount: null });
    const after = await waitReapplied('serviceaccount', 'resilient', before.metadata.annotations?.[CONFIG_HASH]);
    expect(after.metadata.annotations).not.toHaveProperty('eks.amazonaws.com/role-arn');
  });
});

describe('autoscaling', () => {
  const autoscaling = { minReplicas: 2, maxReplicas: 6 };

  beforeAll(async () => {
    await apply(microservice('elastic', { replicas: 3, autoscaling }));
    await waitPresent('horizontalpodautoscaler', 'elastic');
    await waitPresent('deployment', 'elastic');
  });

  it('creates a HorizontalPodAutoscaler for the Deployment', async () => {
    const autoscaler = await get('horizontalpodautoscaler', 'elastic');
    expect(autoscaler.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'elastic' });
    expect(autoscaler.spec.minReplicas).toBe(2);
    expect(autoscaler.spec.maxReplicas).toBe(6);
  });

  it('leaves replicas to other managers', async () => {
    const deployment = await kubectlJson<Live>(['get', 'deployment', 'elastic', '-n', namespace, '--show-managed-fields']);
    const managers = (deployment.metadata.managedFields ?? []) as Array<{ manager: string; fieldsV1?: { 'f:spec'?: Record<string, unknown> } }>;
    const flywheel = managers.find((entry) => entry.manager === 'flywheel');
    expect(flywheel?.fieldsV1?.['f:spec']).not.toHaveProperty('f:replicas');
  });

  it('keeps a count set by kubectl scale', async () => {
    await kubectlOk(['scale', 'deployment', 'elastic', '-n', namespace, '--replicas=4']);
    await waitReconciles('elastic', 3, pokeLabel('elastic'));
    expect(await replicasOf('elastic')).toBe(4);
  });

  it('keeps a count set by another field manager', async () => {
    await kubectlOk([
      'patch', 'deployment', 'elastic', '-n', namespace, '--type=merge', '--field-manager=capacity-planner', '-p', '{"spec":{"replicas":5}}',
    ]);
    await waitReconciles('elastic', 3, pokeLabel('elastic'));
    expect(await replicasOf('elastic')).toBe(5);
  });

  it('keeps count across template changes', async () => {
    const before = await get('deployment', 'elastic');
    await patchSpec('elastic', { env: [{ name: 'FEATURE', value: 'on' }] });
    const after = await waitReapplied('deployment', 'elastic', before.metadata.annotations?.[CONFIG_HASH]);
    expect(after.spec.template.spec.containers[0].env).toEqual([{ name: 'FEATURE', value: 'on' }]);
    expect(after.spec.replicas).toBe(5);
  });

  it('keeps count when autoscaling starts', async () => {
    await apply(microservice('handoff', { replicas: 3 }));
    const before = await waitFor('Deployment handoff at 3 replicas', async () => {
      const live = await tryGet('deployment', 'handoff');
      return live?.spec.replicas === 3 ? live : undefined;
    });
    await patchSpec('handoff', { autoscaling: { minReplicas: 2, maxReplicas: 5 } });
    await waitPresent('horizontalpodautoscaler', 'handoff');
    const after = await waitReapplied('deployment', 'handoff', before.metadata.annotations?.[CONFIG_HASH]);
    // Without the handoff, the API server would default the count to 1 and the autoscaler raise it to 2.
    expect(after.spec.replicas).toBe(3);
  });

  it('restores replicas when autoscaling stops', async () => {
    await patchSpec('elastic', { autoscaling: { ...autoscaling, enabled: false } });
    await waitAbsent('horizontalpodautoscaler', 'elastic');
    const deployment = await waitFor('Deployment elastic at 3 replicas', async () => {
      const live = await get('deployment', 'elastic');
      return live.spec.replicas === 3 ? live : undefined;
    });
    expect(deployment.spec.replicas).toBe(3);
  });
});

describe('feature removal', () => {
  beforeAll(async () => {
    await apply(microservice('removal', { replicas: 3, autoscaling: { minReplicas: 2, maxReplicas: 4 } }));
    await waitPresent('horizontalpodautoscaler', 'removal');
    await waitPresent('poddisruptionbudget', 'removal');
    await waitPresent('destinationrule.networking.istio.io', 'removal');
    await waitPresent('virtualservice.networking.istio.io', 'removal');
  });

  it('deletes the autoscaler', async () => {
    await kubectlOk(['patch', 'microservice', 'removal', '-n', namespace, '--type=json', '-p', '[{"op":"remove","path":"/spec/autoscaling"}]']);
    await waitAbsent('horizontalpodautoscaler', 'removal');
    expect(await tryGet('horizontalpodautoscaler', 'removal')).toBeUndefined();
  });

  it('deletes the disruption budget', async () => {
    await patchSpec('removal', { disruptionBudget: { enabled: false } });
    await waitAbsent('poddisruptionbudget', 'removal');
    expect(await tryGet('poddisruptionbudget', 'removal')).toBeUndefined();
  });

  it('deletes the Istio objects', async () => {
    await patchSpec('removal', { mesh: { enabled: false } });
    await waitAbsent('destinationrule.networking.istio.io', 'removal');
    await waitAbsent('virtualservice.networking.istio.io', 'removal');
    expect(await tryGet('virtualservice.networking.istio.io', 'removal')).toBeUndefined();
  });

  it('keeps the other objects', async () => {
    expect(await tryGet('deployment', 'removal')).toBeDefined();
    expect(await tryGet('service', 'removal')).toBeDefined();
    expect(await tryGet('serviceaccount', 'removal')).toBeDefined();
  });

  it('deletes after an operator restart', async () => {
    await patchSpec('removal', { disruptionBudget: { enabled: true }, mesh: { enabled: true } });
    await waitPresent('poddisruptionbudget', 'removal');
    await waitPresent('virtualservice.networking.istio.io', 'removal');

    // A restarted operator knows the owned objects only from its initial list.
    await operator.stop();
    operator = startOperator(operatorArgs());
    await waitFor('a reconcile of removal after the restart', async () => (reconcileCount('removal') > 0 ? true : undefined));

    await patchSpec('removal', { disruptionBudget: { enabled: false }, mesh: { enabled: false } });
    await waitAbsent('poddisruptionbudget', 'removal');
    await waitAbsent('destinationrule.networking.istio.io', 'removal');
    await waitAbsent('virtualservice.networking.istio.io', 'removal');
    expect(operator.logs.filter((line) => line.level === 'error')).toEqual([]);
  });
});
