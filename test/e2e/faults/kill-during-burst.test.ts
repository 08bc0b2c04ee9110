/**
 * kill -9 of the operator in the middle of a burst of 200 Microservice creates. The work
 * queue lives in memory only, so the restarted operator must find the unfinished work
 * from its initial list, converge every Microservice, and not create anything twice.
 *
 * The Microservices ask for 0 replicas. The operator still creates every object, and
 * Ready still needs kube-controller-manager to observe each Deployment's generation, but
 * no pods are made. kube-controller-manager sets the pace: on the 2-core machine this
 * was written on, shared with other tests, it observed 200 new Deployments in about 45 s
 * while the operator had created them in 20 s. With 1 replica each, 200 took 75 s to
 * 240 s to turn Ready, and deleting their pods slowed the test files that followed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyCrd, createNamespace, deleteNamespace, kubectlJson, type OperatorProcess } from '../harness.ts';
import { applyAll, deploymentGenerations, microservice, startObservedOperator, waitConverged, waitForLog } from './helpers.ts';

const COUNT = 200;
/** Creates per kubectl call, so the burst is still running when the operator dies. */
const CHUNK = 20;
const REPLICAS = 0;
const names = Array.from({ length: COUNT }, (_, index) => `burst-${String(index).padStart(3, '0')}`);

let namespace: string;
let first: OperatorProcess;
let second: OperatorProcess;

const createdDeployments = (operator: OperatorProcess) =>
  operator.logs.filter((line) => line.message === 'created object' && line.kind === 'Deployment').map((line) => String(line.object));

beforeAll(async () => {
  await applyCrd();
  namespace = await createNamespace('burst');
});

afterAll(async () => {
  await first?.stop('SIGKILL');
  await second?.stop('SIGKILL');
  await deleteNamespace(namespace);
});

describe('kill -9 during a burst of creates', () => {
  let createdBeforeKill: string[] = [];

  it('dies with work pending', async ({ annotate }) => {
    first = startObservedOperator(['--namespaces', namespace, '--leader-elect', 'false']);
    await waitForLog(first, 'the first operator to sync', (line) => line.message === 'caches synced');

    const burst = (async () => {
      for (let start = 0; start < COUNT; start += CHUNK) {
        await applyAll(names.slice(start, start + CHUNK).map((name) => microservice(namespace, name, undefined, REPLICAS)));
      }
    })();
    await waitForLog(first, 'the operator to create 20 Deployments', () => createdDeployments(first).length >= 20, 120_000);
    await first.stop('SIGKILL');
    createdBeforeKill = createdDeployments(first);
    await burst;

    await annotate(`killed after ${createdBeforeKill.length} of ${COUNT} Deployments were created`);
    expect(createdBeforeKill.length).toBeLessThan(COUNT);
  });

  it('converges all 200 after a restart', async ({ annotate }) => {
    const restartedAt = Date.now();
    second = startObservedOperator(['--namespaces', namespace, '--leader-elect', 'false']);
    const converged = await waitConverged(namespace, names, 170_000);
    await annotate(`all ${COUNT} Ready ${Date.now() - restartedAt} ms after the restart`);
    expect(converged).toHaveLength(COUNT);
  });

  it('creates no Deployment twice', () => {
    const createdAfter = new Set(createdDeployments(second));
    const twice = createdBeforeKill.filter((name) => createdAfter.has(name));
    expect(twice).toEqual([]);
  });

  it('rewrites no Deployment spec', async () => {
    const generations = await deploymentGenerations(namespace);
    expect(generations.size).toBe(COUNT);
    expect([...generations.values()].filter((generation) => generation !== 1)).toEqual([]);
  });

  it('gives each Deployment its Microservice as controller', async () => {
    const owners = await kubectlJson<{ items: Array<{ metadata: { name: string; ownerReferences?: Array<{ name: string; controller?: boolean }> } }> }>([
      'get', 'deployments', '-n', namespace,
    ]);
    const mismatched = owners.items.filter(
      (item) => item.metadata.ownerReferences?.length !== 1 || item.metadata.ownerReferences[0]?.name !== item.metadata.name,
    );
    expect(mismatched.map((item) => item.metadata.name)).toEqual([]);
  });
});
