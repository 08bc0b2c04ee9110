/**
 * The operator behind a proxy that fails 10% of all API requests (lists, watches and
 * writes alike) with 429, 500 or 503 once its caches have synced. Failed reconciles,
 * lists and watches are retried with backoff, so every Microservice still converges, and
 * nothing is written twice. Faults start after the caches synced because start-up
 * requests get a bounded retry only.
 *
 * The first reconcile of a Microservice makes about 11 requests, so at 10% about a third
 * of such reconciles succeed. At 30% nearly all fail and the per-key backoff (doubling
 * from 5 ms) grows to minutes before a Microservice converges, which is correct but too
 * slow for a test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyCrd, createNamespace, deleteNamespace, KUBECONFIG, type OperatorProcess } from '../harness.ts';
import { FaultProxy, faultFraction, NO_FAULTS } from '../fault-proxy.ts';
import {
  applyAll,
  deploymentGenerations,
  metricValue,
  microservice,
  operatorUrls,
  scrape,
  startObservedOperator,
  waitConverged,
  waitForLog,
  type OperatorUrls,
} from './helpers.ts';

const COUNT = 20;
const names = Array.from({ length: COUNT }, (_, index) => `throttled-${String(index).padStart(2, '0')}`);

let namespace: string;
let proxy: FaultProxy;
let operator: OperatorProcess;
let urls: OperatorUrls;

beforeAll(async () => {
  await applyCrd();
  namespace = await createNamespace('throttle');
  proxy = await FaultProxy.start(KUBECONFIG);
  operator = startObservedOperator(['--namespaces', namespace, '--leader-elect', 'false', '--kubeconfig', proxy.kubeconfigPath]);
  urls = await operatorUrls(operator);
  await waitForLog(operator, 'the operator caches to sync', (line) => line.message === 'caches synced');
  proxy.setRule(faultFraction(0.1, [{ status: 429, retryAfterSeconds: 1 }, { status: 503 }, { status: 500 }]));
});

afterAll(async () => {
  await operator?.stop('SIGKILL');
  await proxy?.close();
  await deleteNamespace(namespace);
});

describe('API throttling and server errors', () => {
  it('converges every Microservice', async ({ annotate }) => {
    await applyAll(names.map((name) => microservice(namespace, name)));
    // Failed reconciles back off per key, and kube-controller-manager lags on a loaded
    // machine, so this waits up to just below the test timeout.
    const converged = await waitConverged(namespace, names, 170_000);
    const injected = Object.fromEntries(proxy.counts.injected);
    await annotate(`proxy forwarded ${proxy.counts.forwarded} requests and injected ${JSON.stringify(injected)}`);
    expect(converged).toHaveLength(COUNT);
  });

  it('injected every kind of fault', () => {
    expect([...proxy.counts.injected.keys()].sort()).toEqual([429, 500, 503]);
  });

  it('counts the failed requests by code', async () => {
    proxy.setRule(NO_FAULTS);
    const text = await scrape(urls.metrics);
    for (const code of ['429', '500', '503']) {
      expect(metricValue(text, 'rest_client_requests_total', { code })).toBeGreaterThan(0);
    }
  });

  it('logs the retries', async ({ annotate }) => {
    const retries = operator.logs.filter(
      (line) => (line.message === 'reconcile failed' || line.message === 'watch failed, listing again') && /\((429|500|503)\)/.test(String(line.error)),
    );
    await annotate(`${retries.length} retry lines logged (repeats within 10 s are suppressed)`);
    expect(retries.length).toBeGreaterThan(0);
    expect(retries.every((line) => typeof line.retryInMs === 'number' || typeof line.attempt === 'number')).toBe(true);
  });

  it('rewrites no Deployment spec', async () => {
    const generations = await deploymentGenerations(namespace);
    expect(generations.size).toBe(COUNT);
    expect([...generations.values()].filter((generation) => generation !== 1)).toEqual([]);
  });

  it('stops cleanly afterwards', async () => {
    expect(await operator.stop('SIGTERM')).toBe(0);
  });
});
