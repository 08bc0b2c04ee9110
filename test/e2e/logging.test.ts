/**
 * Log shipping end to end on the local control plane. In a namespace that enforces Pod
 * Security "restricted", a Microservice with logging on gets pods with a Fluent Bit
 * sidecar, which the API server admits and kwok reports Ready. Its ConfigMap and the pod
 * template hash follow spec changes, and switching logging off removes both. Nothing
 * ships to CloudWatch Logs here, because kwok runs no containers and so Fluent Bit never
 * starts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configHash } from '../../cdk8s/src/logging/fluent-bit-config.ts';
import {
  applyCrd,
  createNamespace,
  deleteNamespace,
  kubectl,
  kubectlJson,
  startOperator,
  waitFor,
  type OperatorProcess,
} from './harness.ts';

const RESTRICTED = {
  'pod-security.kubernetes.io/enforce': 'restricted',
  'pod-security.kubernetes.io/enforce-version': 'latest',
};
const HASH_ANNOTATION = 'flywheel.dev/logging-config-hash';
const REGION = 'eu-west-1';
/** Test operators must not take the default metrics and health ports, which other operators may hold. */
const NO_LISTENERS = ['--metrics-bind-address', '0', '--health-probe-bind-address', '0'];

interface KubeList<T> {
  items: T[];
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

interface Container {
  name: string;
  restartPolicy?: string;
}

interface PodTemplate {
  metadata: { annotations?: Record<string, string> };
  spec: { initContainers?: Container[]; containers: Container[]; volumes?: Array<{ name: string }> };
}

interface Deployment {
  metadata: { generation: number };
  spec: { template: PodTemplate };
  status?: { observedGeneration?: number; readyReplicas?: number; updatedReplicas?: number; replicas?: number; conditions?: Condition[] };
}

interface ConfigMap {
  data: Record<string, string>;
}

interface Pod {
  metadata: { name: string; annotations?: Record<string, string> };
  status?: { conditions?: Condition[] };
}

let namespace: string;
let operator: OperatorProcess;

const microservice = (ns: string, logging: Record<string, unknown>) => ({
  apiVersion: 'flywheel.dev/v1alpha1',
  kind: 'Microservice',
  metadata: { name: 'orders', namespace: ns },
  spec: { image: 'ghcr.io/acme/orders:1.0.0', replicas: 2, logging },
});

const apply = (object: unknown) => kubectl(['apply', '-f', '-'], JSON.stringify(object));

const tryGet = async <T>(ns: string, kind: string, name: string): Promise<T | undefined> => {
  const result = await kubectl(['get', kind, name, '-n', ns, '-o', 'json']);
  return result.code === 0 ? (JSON.parse(result.stdout) as T) : undefined;
};

const sidecarOf = (template: PodTemplate): Container | undefined =>
  [...(template.spec.initContainers ?? []), ...template.spec.containers].find((container) => container.name === 'fluent-bit');

/**
 * Waits until the Deployment has rolled out a template that passes `check` to two ready
 * pods. While it waits, pod admission failures become the error a timeout reports.
 */
async function waitRolledOut(ns: string, what: string, check: (template: PodTemplate) => boolean): Promise<Deployment> {
  return waitFor(what, async () => {
    const deployment = await tryGet<Deployment>(ns, 'deployment', 'orders');
    if (!deployment || !check(deployment.spec.template)) return undefined;
    const status = deployment.status ?? {};
    const done =
      status.observedGeneration === deployment.metadata.generation &&
      status.updatedReplicas === 2 &&
      status.readyReplicas === 2 &&
      status.replicas === 2;
    if (done) return deployment;

    const failures = await failedCreates(ns);
    if (failures.length > 0) throw new Error(`pods were not created: ${failures[0]}`);
    return undefined;
  });
}

/** Pod admission failures: FailedCreate Events of the namespace's ReplicaSets. */
async function failedCreates(ns: string): Promise<string[]> {
  const events = await kubectlJson<KubeList<{ reason: string; message: string; involvedObject: { kind: string } }>>([
    'get', 'events', '-n', ns, '--field-selector', 'reason=FailedCreate',
  ]);
  return events.items.map((event) => event.message);
}

beforeAll(async () => {
  await applyCrd();
  namespace = await createNamespace('logging', RESTRICTED);
  operator = startOperator(['--namespaces', namespace, '--aws-region', REGION, ...NO_LISTENERS]);
});

afterAll(async () => {
  await operator?.stop();
  await deleteNamespace(namespace);
});

describe('log shipping under Pod Security restricted', () => {
  it('rejects a non-compliant pod in the namespace', async () => {
    const result = await kubectl(['run', 'root-pod', '-n', namespace, '--image', 'busybox:1.36']);
    expect(result.stderr).toMatch(/violates PodSecurity "restricted:latest"/);
  });

  it('creates the Fluent Bit ConfigMap', async () => {
    expect((await apply(microservice(namespace, { enabled: true, retentionDays: 30 }))).code).toBe(0);
    const configMap = await waitFor('ConfigMap orders-fluent-bit', () => tryGet<ConfigMap>(namespace, 'configmap', 'orders-fluent-bit'));
    expect(configMap.data['fluent-bit.conf']).toMatch(new RegExp(`^ +region +${REGION}$`, 'm'));
  });

  it('writes to the default log group', async () => {
    const configMap = await tryGet<ConfigMap>(namespace, 'configmap', 'orders-fluent-bit');
    expect(configMap?.data['fluent-bit.conf']).toMatch(new RegExp(`^ +log_group_name +/flywheel/${namespace}/orders$`, 'm'));
  });

  it('runs pods with a native sidecar that become Ready', async () => {
    const deployment = await waitRolledOut(namespace, 'pods with the sidecar Ready', (template) => sidecarOf(template) !== undefined);
    expect(sidecarOf(deployment.spec.template)?.restartPolicy).toBe('Always');
  });

  it('reports no admission failure', async () => {
    expect(await failedCreates(namespace)).toEqual([]);
  });

  it('reports no ReplicaFailure on the Deployment', async () => {
    const deployment = await tryGet<Deployment>(namespace, 'deployment', 'orders');
    expect(deployment?.status?.conditions?.find((condition) => condition.type === 'ReplicaFailure')).toBeUndefined();
  });

  it('marks every pod Ready', async () => {
    const pods = await kubectlJson<KubeList<Pod>>(['get', 'pods', '-n', namespace, '-l', 'app.kubernetes.io/name=orders']);
    const ready = pods.items.filter((pod) => pod.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True'));
    expect(ready).toHaveLength(2);
  });

  it('puts the configuration hash on the pod template', async () => {
    const configMap = await tryGet<ConfigMap>(namespace, 'configmap', 'orders-fluent-bit');
    const deployment = await tryGet<Deployment>(namespace, 'deployment', 'orders');
    expect(deployment?.spec.template.metadata.annotations?.[HASH_ANNOTATION]).toBe(configHash(configMap?.data ?? {}));
  });

  it('rolls the pods when the retention changes', async () => {
    const before = await tryGet<Deployment>(namespace, 'deployment', 'orders');
    const oldHash = before?.spec.template.metadata.annotations?.[HASH_ANNOTATION];
    await apply(microservice(namespace, { enabled: true, retentionDays: 90 }));

    const after = await waitRolledOut(namespace, 'pods with the new configuration hash', (template) => {
      const hash = template.metadata.annotations?.[HASH_ANNOTATION];
      return hash !== undefined && hash !== oldHash;
    });
    const configMap = await tryGet<ConfigMap>(namespace, 'configmap', 'orders-fluent-bit');
    expect(after.spec.template.metadata.annotations?.[HASH_ANNOTATION]).toBe(configHash(configMap?.data ?? {}));
  });

  it('updates the retention in the ConfigMap', async () => {
    const configMap = await tryGet<ConfigMap>(namespace, 'configmap', 'orders-fluent-bit');
    expect(configMap?.data['fluent-bit.conf']).toMatch(/^ +log_retention_days +90$/m);
  });

  it('removes the sidecar when logging is switched off', async () => {
    await apply(microservice(namespace, { enabled: false }));
    const deployment = await waitRolledOut(namespace, 'pods without the sidecar', (template) => sidecarOf(template) === undefined);
    expect(deployment.spec.template.metadata.annotations?.[HASH_ANNOTATION]).toBeUndefined();
  });

  it('removes the log volumes when logging is switched off', async () => {
    const deployment = await tryGet<Deployment>(namespace, 'deployment', 'orders');
    expect(deployment?.spec.template.spec.volumes?.map((volume) => volume.name)).toEqual(['tmp']);
  });

  it('removes the ConfigMap when logging is switched off', async () => {
    await waitFor('ConfigMap orders-fluent-bit to be deleted', async () =>
      (await tryGet<ConfigMap>(namespace, 'configmap', 'orders-fluent-bit')) ? undefined : true,
    );
    expect(await tryGet<ConfigMap>(namespace, 'configmap', 'orders-fluent-bit')).toBeUndefined();
  });
});

describe('log shipping on a cluster older than 1.29', () => {
  let legacyNamespace: string;
  let legacyOperator: OperatorProcess;

  beforeAll(async () => {
    legacyNamespace = await createNamespace('logging-legacy', RESTRICTED);
    legacyOperator = startOperator(['--namespaces', legacyNamespace, '--kubernetes-version', '1.28', ...NO_LISTENERS]);
  });

  afterAll(async () => {
    await legacyOperator?.stop();
    await deleteNamespace(legacyNamespace);
  });

  it('runs the sidecar as a regular container that is admitted', async () => {
    await apply(microservice(legacyNamespace, { enabled: true }));
    const deployment = await waitRolledOut(legacyNamespace, 'legacy pods Ready', (template) => sidecarOf(template) !== undefined);
    expect(deployment.spec.template.spec.containers.map((container) => container.name)).toEqual(['app', 'fluent-bit']);
  });

  it('reports no admission failure', async () => {
    expect(await failedCreates(legacyNamespace)).toEqual([]);
  });
});

describe('logging validation', () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['log group with a space', { logGroup: 'my group' }, /spec\.logging\.logGroup: Invalid value: "my group": spec\.logging\.logGroup in body should match/],
    ['log group over 512 characters', { logGroup: 'a'.repeat(513) }, /spec\.logging\.logGroup: Too long/],
    ['empty log group', { logGroup: '' }, /spec\.logging\.logGroup: Invalid value: "": spec\.logging\.logGroup in body should be at least 1 chars long/],
    ['log group under aws/', { logGroup: 'aws/lambda/orders' }, /spec\.logging\.logGroup: Invalid value: "string": must not start with "aws\/"/],
    ['retention CloudWatch rejects', { retentionDays: 2 }, /spec\.logging\.retentionDays: Unsupported value: 2/],
    ['unknown parser', { parser: 'xml' }, /spec\.logging\.parser: Unsupported value: "xml"/],
  ];

  it.each(cases)('rejects %s', async (_name, logging, message) => {
    const object = { ...microservice(namespace, { enabled: true, ...logging }), metadata: { name: 'invalid-logging', namespace } };
    const result = await apply(object);
    expect(result.stderr).toMatch(message);
  });

  it('rejects env that log shipping sets', async () => {
    const object = microservice(namespace, {});
    const spec = { ...object.spec, env: [{ name: 'FLYWHEEL_LOG_DIR', value: '/logs' }] };
    const result = await apply({ ...object, metadata: { name: 'invalid-logging', namespace }, spec });
    expect(result.stderr).toMatch(/spec\.env: Forbidden: env FLYWHEEL_LOG_DIR is set by log shipping/);
  });

  it('accepts that env with logging switched off', async () => {
    const object = microservice(namespace, { enabled: false });
    const spec = { ...object.spec, env: [{ name: 'FLYWHEEL_LOG_DIR', value: '/logs' }] };
    const result = await kubectl(['apply', '--dry-run=server', '-f', '-'], JSON.stringify({ ...object, metadata: { name: 'own-log-dir', namespace }, spec }));
    expect(result.code).toBe(0);
  });

  it('leaves nothing behind after rejections', async () => {
    expect(await tryGet(namespace, 'microservice', 'invalid-logging')).toBeUndefined();
  });
});
