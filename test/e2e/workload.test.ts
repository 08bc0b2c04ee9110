/**
 * The walking skeleton end to end: a Microservice applied with kubectl becomes a
 * Deployment and a Service on the local control plane, follows spec changes, reverts
 * hand edits, is rejected when invalid, and is cleaned up by the garbage collector.
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

interface Named {
  metadata: { name: string; uid: string; resourceVersion: string; generation?: number; ownerReferences?: Array<{ kind: string; name: string; controller?: boolean }> };
  spec?: any;
  status?: any;
}

let namespace: string;
let operator: OperatorProcess;

const microservice = (name: string, image: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'flywheel.dev/v1alpha1',
  kind: 'Microservice',
  metadata: { name, namespace },
  spec: {
    image,
    replicas: 3,
    ports: [{ name: 'http', port: 80, targetPort: 8080 }],
    probes: { readiness: { http: { path: '/readyz', port: 'http' } } },
    ...extra,
  },
});

const apply = (object: unknown) => kubectl(['apply', '-f', '-'], JSON.stringify(object));

const get = (kind: string, name: string) => kubectlJson<Named>(['get', kind, name, '-n', namespace]);

const tryGet = async (kind: string, name: string): Promise<Named | undefined> => {
  const result = await kubectl(['get', kind, name, '-n', namespace, '-o', 'json']);
  return result.code === 0 ? (JSON.parse(result.stdout) as Named) : undefined;
};

const readyCondition = (object: Named) =>
  (object.status?.conditions ?? []).find((condition: { type: string }) => condition.type === 'Ready');

/**
 * Marks that change only when a client writes the object: the Microservice's
 * resourceVersion (the operator writes its status), and the time of the operator's
 * last apply on each child. A child's resourceVersion would not do, because the
 * Deployment controller updates the Deployment's status by itself.
 */
async function writeMarks(name: string): Promise<unknown[]> {
  const owner = await get('microservice', name);
  const children = await Promise.all(['deployment', 'service'].map((kind) => get(kind, name)));
  const applyTimes = children.map((child) =>
    ((child.metadata as { managedFields?: Array<{ manager: string; operation: string; time: string }> }).managedFields ?? [])
      .filter((entry) => entry.manager === 'flywheel' && entry.operation === 'Apply')
      .map((entry) => entry.time),
  );
  return [owner.metadata.resourceVersion, ...applyTimes];
}

/** Waits until the rollout is complete, so no status change is still on its way. */
async function waitSettled(name: string): Promise<void> {
  await waitFor(`Microservice ${name} settled`, async () => {
    const object = await get('microservice', name);
    const conditions = object.status?.conditions ?? [];
    const progressing = conditions.find((condition: { type: string }) => condition.type === 'Progressing');
    const current = object.status?.observedGeneration === object.metadata.generation;
    return object.status?.phase === 'Ready' && progressing?.status === 'False' && current ? true : undefined;
  });
}

async function waitReady(name: string): Promise<Named> {
  return waitFor(`Microservice ${name} Ready`, async () => {
    const object = await get('microservice', name);
    const ready = readyCondition(object);
    const current = object.status?.observedGeneration === object.metadata.generation;
    return ready?.status === 'True' && current ? object : undefined;
  });
}

beforeAll(async () => {
  await applyCrd();
  namespace = await createNamespace('workload');
  operator = startOperator(['--namespaces', namespace, '--log-level', 'debug']);
});

afterAll(async () => {
  await operator?.stop();
  await deleteNamespace(namespace);
});

describe('Microservice lifecycle', () => {
  it('creates an owned Deployment and Service', async () => {
    expect((await apply(microservice('orders', 'ghcr.io/acme/orders:1.0.0'))).code).toBe(0);
    const owner = await get('microservice', 'orders');
    const deployment = await waitFor('Deployment orders', () => tryGet('deployment', 'orders'));
    const service = await waitFor('Service orders', () => tryGet('service', 'orders'));
    for (const child of [deployment, service]) {
      expect(child.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: 'Microservice', name: 'orders', uid: owner.metadata.uid, controller: true }),
      ]);
    }
  });

  it('reports Ready once the pods are ready', async () => {
    const ready = await waitReady('orders');
    expect(ready.status.phase).toBe('Ready');
    expect(ready.status.availableReplicas).toBe(3);
  });

  it('rolls out an image change', async () => {
    await apply(microservice('orders', 'ghcr.io/acme/orders:1.1.0'));
    const deployment = await waitFor('Deployment with the new image', async () => {
      const live = await get('deployment', 'orders');
      return live.spec.template.spec.containers[0].image === 'ghcr.io/acme/orders:1.1.0' ? live : undefined;
    });
    expect(deployment.spec.template.spec.containers[0].image).toBe('ghcr.io/acme/orders:1.1.0');
    const ready = await waitReady('orders');
    expect(ready.status.observedGeneration).toBe(ready.metadata.generation);
  });

  it('reverts a hand edit of an owned field', async () => {
    await kubectlOk(['set', 'image', '-n', namespace, 'deployment/orders', 'app=ghcr.io/evil/orders:6.6.6']);
    const reverted = await waitFor('the image to be restored', async () => {
      const live = await get('deployment', 'orders');
      return live.spec.template.spec.containers[0].image === 'ghcr.io/acme/orders:1.1.0' ? live : undefined;
    });
    expect(reverted.spec.template.spec.containers[0].image).toBe('ghcr.io/acme/orders:1.1.0');
  });

  it('records Events for created objects', async () => {
    const events = await kubectlJson<{ items: Array<{ reason: string; involvedObject: { name: string; kind: string } }> }>([
      'get', 'events', '-n', namespace, '--field-selector', 'involvedObject.kind=Microservice',
    ]);
    const reasons = events.items.filter((event) => event.involvedObject.name === 'orders').map((event) => event.reason);
    expect(reasons).toContain('Created');
  });

  it('writes nothing after a restart over converged objects', async () => {
    await waitSettled('orders');
    const before = await writeMarks('orders');
    await operator.stop();

    operator = startOperator(['--namespaces', namespace, '--log-level', 'debug']);
    await waitFor('a reconcile of orders after the restart', async () =>
      operator.logs.some((line) => line.message === 'reconciled' && line.name === 'orders') ? true : undefined,
    );
    expect(await writeMarks('orders')).toEqual(before);
  });

  it('removes children through the garbage collector on delete', async () => {
    await kubectlOk(['delete', 'microservice', 'orders', '-n', namespace]);
    await waitFor('Deployment orders to be collected', async () => ((await tryGet('deployment', 'orders')) ? undefined : true));
    await waitFor('Service orders to be collected', async () => ((await tryGet('service', 'orders')) ? undefined : true));
    expect(await tryGet('deployment', 'orders')).toBeUndefined();
  });
});

describe('Microservice validation', () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['missing image', { image: undefined }, /spec\.image: Required value/],
    [
      'duplicate port names',
      { ports: [{ name: 'http', port: 80 }, { name: 'http', port: 81 }] },
      /spec\.ports\[1\]: Duplicate value/,
    ],
    ['port above 65535', { ports: [{ name: 'http', port: 70000 }] }, /spec\.ports\[0\]\.port: Invalid value: 70000/],
    [
      'probe on a missing port',
      { ports: [{ name: 'http', port: 80 }], probes: { readiness: { http: { path: '/', port: 'admin' } } } },
      /spec\.probes\.readiness\.http\.port: Invalid value.*"admin" is not the name of any entry in spec\.ports/,
    ],
    [
      'duplicate port numbers',
      { ports: [{ name: 'http', port: 80 }, { name: 'web', port: 80 }] },
      /spec\.ports: Invalid value.*port numbers must be unique/,
    ],
    ['negative replicas', { replicas: -1 }, /spec\.replicas: Invalid value: -1/],
    [
      'probe with both checks',
      { ports: [{ name: 'http', port: 80 }], probes: { liveness: { http: { path: '/', port: 'http' }, tcp: { port: 'http' } } } },
      /spec\.probes\.liveness: Invalid value.*set exactly one of http or tcp/,
    ],
    [
      'requests above limits',
      { resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } },
      /spec\.resources\.requests\.cpu: Invalid value.*requests\.cpu must not exceed limits\.cpu/,
    ],
  ];

  it.each(cases)('rejects %s', async (_name, spec, message) => {
    const object = microservice('invalid', 'ghcr.io/acme/orders:1.0.0', spec);
    const result = await apply(JSON.parse(JSON.stringify(object)));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(message);
  });

  it('leaves nothing behind after rejections', async () => {
    expect(await tryGet('microservice', 'invalid')).toBeUndefined();
  });
});
