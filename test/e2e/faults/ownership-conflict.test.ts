/**
 * A Microservice whose reconcile always fails: a Deployment of its name exists without
 * an ownerReference, so the operator must not take it over. The key backs off
 * exponentially, the failure shows in status and Events, the repeated error is logged
 * with a count of suppressed repeats, and other Microservices converge meanwhile.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyCrd, createNamespace, deleteNamespace, kubectlJson, kubectlOk, waitFor, type OperatorProcess } from '../harness.ts';
import {
  applyAll,
  listMicroservices,
  metricValue,
  microservice,
  operatorUrls,
  scrape,
  startObservedOperator,
  waitConverged,
  waitForLog,
  type OperatorUrls,
} from './helpers.ts';

let namespace: string;
let operator: OperatorProcess;
let urls: OperatorUrls;
const healthy = ['free-one', 'free-two', 'free-three'];

const failures = () => operator.logs.filter((line) => line.message === 'reconcile failed' && line.name === 'taken');

beforeAll(async () => {
  await applyCrd();
  namespace = await createNamespace('conflict');
  await kubectlOk(['create', 'deployment', 'taken', '-n', namespace, '--image=registry.example/someone-else:1', '--replicas=1']);
  operator = startObservedOperator(['--namespaces', namespace, '--leader-elect', 'false']);
  urls = await operatorUrls(operator);
  await applyAll(['taken', ...healthy].map((name) => microservice(namespace, name)));
});

afterAll(async () => {
  await operator?.stop('SIGKILL');
  await deleteNamespace(namespace);
});

describe('ownership conflict', () => {
  it('marks the Microservice Degraded', async () => {
    const taken = await waitFor('Microservice taken to be Degraded', async () =>
      (await listMicroservices(namespace)).find((object) => object.metadata.name === 'taken' && object.status?.phase === 'Degraded'),
    );
    const degraded = taken.status?.conditions?.find((condition) => condition.type === 'Degraded');
    expect(degraded?.status).toBe('True');
    expect(degraded?.reason).toBe('OwnershipConflict');
    expect(degraded?.message).toContain(`Deployment ${namespace}/taken already exists and is not owned by Microservice taken`);
  });

  it('records a Warning Event', async () => {
    const events = await waitFor('an OwnershipConflict Event', async () => {
      const list = await kubectlJson<{ items: Array<{ type: string; reason: string; involvedObject: { name: string } }> }>([
        'get', 'events', '-n', namespace, '--field-selector', 'involvedObject.kind=Microservice,involvedObject.name=taken',
      ]);
      return list.items.some((event) => event.reason === 'OwnershipConflict') ? list.items : undefined;
    });
    expect(events.find((event) => event.reason === 'OwnershipConflict')?.type).toBe('Warning');
  });

  it('lets the other Microservices converge', async () => {
    const converged = await waitConverged(namespace, healthy);
    expect(converged.map((object) => object.status?.phase)).toEqual(['Ready', 'Ready', 'Ready']);
  });

  it('counts the retries', async () => {
    // One scrape for both counters: the failing key keeps retrying, so two scrapes could
    // see different totals. The count grows with the backoff, so wait for it first.
    const metrics = await waitFor('workqueue_retries_total to reach 5', async () => {
      const text = await scrape(urls.metrics);
      return (metricValue(text, 'workqueue_retries_total', { name: 'microservice' }) ?? 0) >= 5 ? text : undefined;
    }, 60_000);
    const retries = metricValue(metrics, 'workqueue_retries_total', { name: 'microservice' }) ?? 0;
    expect(retries).toBeGreaterThanOrEqual(5);
    expect(metricValue(metrics, 'controller_runtime_reconcile_errors_total', { controller: 'microservice' })).toBe(retries);
  });

  it('backs off exponentially', async ({ annotate }) => {
    // The first failure is logged at once. Identical repeats are suppressed for the log's
    // repeat window (10 s), so the second line comes from a later, longer retry. How many
    // failures fit in that window depends on how long each failing reconcile takes, which
    // grows on a loaded machine. So the checks compare the logged delay with the logged
    // failure count instead of expecting a fixed count.
    await waitForLog(operator, 'a second reconcile failed line for taken', () => failures().length >= 2, 60_000);
    const [first, second] = failures();
    await annotate(
      `logged retries ${String(first?.retries)} then ${String(second?.retries)}, retryInMs ${String(first?.retryInMs)} then ` +
        `${String(second?.retryInMs)}, ${String(second?.suppressed)} repeats suppressed between`,
    );
    expect(first?.retries).toBe(1);
    expect(first?.retryInMs).toBe(5);
    // While a failing reconcile takes under 1.9 s on average, failures 2 to 6 fall in the
    // window, because their backoff adds up to 155 ms. The second line is then failure 7
    // or later.
    expect(Number(second?.retries)).toBeGreaterThanOrEqual(7);
    expect(second?.retryInMs).toBe(5 * 2 ** (Number(second?.retries) - 1));
    expect(second?.suppressed).toBe(Number(second?.retries) - Number(first?.retries) - 1);
  });

  it('logs the reason with the failure', () => {
    expect(String(failures()[0]?.error)).toContain('already exists and is not owned by Microservice taken');
  });

  it('leaves the foreign Deployment alone', async () => {
    const deployment = await kubectlJson<{ metadata: { ownerReferences?: unknown[] }; spec: { template: { spec: { containers: Array<{ image: string }> } } } }>([
      'get', 'deployment', 'taken', '-n', namespace,
    ]);
    expect(deployment.metadata.ownerReferences).toBeUndefined();
    expect(deployment.spec.template.spec.containers[0]?.image).toBe('registry.example/someone-else:1');
  });
});
