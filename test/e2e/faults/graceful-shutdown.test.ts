/**
 * SIGTERM while a reconcile is in flight. The fault proxy delays the operator's writes to
 * Deployments, so the reconcile is still waiting for the API server when the signal
 * arrives. Within --graceful-shutdown-timeout the reconcile finishes, the Lease is
 * released and the process exits 0. Past it, the process exits 1 and keeps the Lease,
 * because the reconcile it abandons could still write.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyCrd, createNamespace, deleteNamespace, KUBECONFIG, waitFor, type OperatorProcess } from '../harness.ts';
import { FaultProxy, NO_FAULTS, type FaultRule } from '../fault-proxy.ts';
import { applyAll, identityOf, leaseHolder, microservice, startObservedOperator, waitForLog } from './helpers.ts';

const LEASE_NAME = 'flywheel-operator';

let namespace: string;
let proxy: FaultProxy;
const operators: OperatorProcess[] = [];

/** Delays every write of a Deployment by `delayMs`. */
const slowDeploymentWrites = (delayMs: number): FaultRule => (request) =>
  request.method === 'PATCH' && request.url.includes('/deployments/') ? { delayMs } : undefined;

function startThroughProxy(timeout: string): OperatorProcess {
  const operator = startObservedOperator([
    '--namespaces', namespace,
    '--kubeconfig', proxy.kubeconfigPath,
    '--leader-elect', 'true',
    '--leader-elect-resource-namespace', namespace,
    '--graceful-shutdown-timeout', timeout,
  ]);
  operators.push(operator);
  return operator;
}

/** Creates a Microservice and waits until the proxy delays its Deployment write. */
async function startSlowReconcile(operator: OperatorProcess, name: string): Promise<void> {
  await waitForLog(operator, 'the operator to lead', (line) => line.message === 'acquired leader lease');
  const delayedBefore = proxy.counts.delayed;
  await applyAll([microservice(namespace, name)]);
  await waitFor('the proxy to delay a Deployment write', async () => (proxy.counts.delayed > delayedBefore ? true : undefined), 60_000, 50);
}

beforeAll(async () => {
  await applyCrd();
  namespace = await createNamespace('shutdown');
  proxy = await FaultProxy.start(KUBECONFIG);
});

afterAll(async () => {
  await Promise.all(operators.map((operator) => operator.stop('SIGKILL')));
  await proxy?.close();
  await deleteNamespace(namespace);
});

describe('graceful shutdown', () => {
  it('finishes an in-flight reconcile', async () => {
    proxy.setRule(slowDeploymentWrites(3_000));
    const operator = startThroughProxy('20s');
    await startSlowReconcile(operator, 'slow');

    const exitCode = await operator.stop('SIGTERM');
    const messages = operator.logs.map((line) => line.message);
    const stopping = messages.indexOf('stopping');
    const created = operator.logs.findIndex((line) => line.message === 'created object' && line.kind === 'Deployment' && line.object === 'slow');

    expect(exitCode).toBe(0);
    expect(created).toBeGreaterThan(stopping);
    expect(messages).toContain('released leader lease');
  });

  it('leaves the Lease free', async () => {
    expect((await leaseHolder(namespace, LEASE_NAME))?.holder).toBeUndefined();
  });

  it('keeps the Lease past the timeout', async () => {
    proxy.setRule(slowDeploymentWrites(60_000));
    const operator = startThroughProxy('1s');
    await startSlowReconcile(operator, 'stuck');

    const exitCode = await operator.stop('SIGTERM');
    proxy.setRule(NO_FAULTS);

    expect(exitCode).toBe(1);
    expect(operator.logs.map((line) => line.message)).toContain(
      'graceful shutdown timed out with reconciles still running, so the leader lease is kept until it expires',
    );
    expect((await leaseHolder(namespace, LEASE_NAME))?.holder).toBe(identityOf(operator));
  });
});
