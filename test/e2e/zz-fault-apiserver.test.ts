/**
 * kube-apiserver stops for 20 seconds while the operator runs. The operator must ride it
 * out in the same process: informers re-list and re-watch once the API server is back,
 * and changes made after the restart converge.
 *
 * The Microservices ask for 0 replicas, because after the restart kube-scheduler, kwok
 * and kube-controller-manager back off before they re-list, and pods took about a minute
 * to turn Ready again. The operator's own writes came within about 2 s.
 *
 * WARNING: this stops the shared local API server, which breaks every other test or
 * process using the cluster meanwhile. NOTE: the name does not make it run last, because
 * vitest 4 orders files by earlier failures, duration and size. So afterAll waits until
 * the cluster runs a pod again before the next file starts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyCrd, createNamespace, deleteNamespace, kubectl, kubectlJson, REPO_ROOT, run, waitFor, type OperatorProcess } from './harness.ts';
import { applyAll, isRunning, microservice, operatorUrls, startObservedOperator, timeOf, waitConverged, type OperatorUrls } from './faults/helpers.ts';

const OUTAGE_MS = 20_000;
const REPLICAS = 0;
const names = ['one', 'two', 'three'];

let namespace: string;
let operator: OperatorProcess;
let urls: OperatorUrls;

const component = (action: 'stop' | 'start', name: string) => run('bash', [`${REPO_ROOT}hack/component.sh`, action, name]);

beforeAll(async () => {
  await applyCrd();
  namespace = await createNamespace('apiserver');
  operator = startObservedOperator(['--namespaces', namespace, '--leader-elect', 'false']);
  urls = await operatorUrls(operator);
  await applyAll(names.map((name) => microservice(namespace, name, undefined, REPLICAS)));
  await waitConverged(namespace, names);
});

afterAll(async () => {
  // Whatever failed above, leave the shared cluster running and able to run pods.
  await component('start', 'kube-apiserver').catch(() => undefined);
  await operator?.stop('SIGKILL');
  await waitForPods(namespace).catch(() => undefined);
  await deleteNamespace(namespace);
});

/** Waits until a one-replica Deployment becomes available, which needs every control plane component. */
async function waitForPods(inNamespace: string): Promise<void> {
  await kubectl(['create', 'deployment', 'recovery-check', '-n', inNamespace, '--image=registry.example/pause:1']);
  await waitFor(
    'the cluster to run a pod again',
    async () => {
      const deployment = await kubectlJson<{ status?: { availableReplicas?: number } }>(['get', 'deployment', 'recovery-check', '-n', inNamespace]);
      return (deployment.status?.availableReplicas ?? 0) >= 1 ? true : undefined;
    },
    150_000,
    1_000,
  );
}

describe('kube-apiserver outage', () => {
  let pid: number | undefined;
  let restartedAt = 0;

  it('keeps the operator running through the outage', async ({ annotate }) => {
    pid = operator.child.pid;
    await component('stop', 'kube-apiserver');
    const stoppedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));

    const probes = await Promise.all(['/healthz', '/readyz'].map(async (path) => (await fetch(`${urls.probes}${path}`)).status));
    await component('start', 'kube-apiserver');
    restartedAt = Date.now();
    await annotate(`kube-apiserver was down for ${restartedAt - stoppedAt} ms`);

    expect(isRunning(operator)).toBe(true);
    expect(probes).toEqual([200, 200]);
  });

  it('logs the failed watches with their attempt', () => {
    const failures = operator.logs.filter((line) => line.message === 'watch failed, listing again');
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.every((line) => typeof line.attempt === 'number')).toBe(true);
  });

  it('converges changes made after the restart', async ({ annotate }) => {
    await applyAll([microservice(namespace, 'one', 'ghcr.io/acme/orders:2.0.0', REPLICAS), microservice(namespace, 'four', undefined, REPLICAS)]);
    // kube-controller-manager backs off before it re-lists after the outage, and it must
    // observe the new Deployment generations before they count as Ready.
    const converged = await waitConverged(namespace, [...names, 'four'], 170_000);
    const wrote = (message: string, object: string) =>
      operator.logs.find((line) => line.message === message && line.kind === 'Deployment' && line.object === object);
    const created = wrote('created object', 'four');
    const updated = wrote('updated object', 'one');
    await annotate(
      `after kube-apiserver was back: Deployment four created at +${timeOf(created ?? {}) - restartedAt} ms, ` +
        `one updated at +${timeOf(updated ?? {}) - restartedAt} ms, all Ready at +${Date.now() - restartedAt} ms`,
    );
    expect(created).toBeDefined();
    expect(updated).toBeDefined();
    expect(converged.find((object) => object.metadata.name === 'one')?.metadata.generation).toBe(2);
  });

  it('did it in the same process', () => {
    expect(isRunning(operator)).toBe(true);
    expect(operator.child.pid).toBe(pid);
    expect(operator.logs.filter((line) => line.message === 'starting')).toHaveLength(1);
  });
});
