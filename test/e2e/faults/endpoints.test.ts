/**
 * The operator's metrics and probe endpoints on the local control plane. Counters exist
 * at zero before any reconcile, probes report the caches, and the phase gauge follows the
 * Microservices. With --metrics-auth, scrapes are authenticated with a TokenReview and
 * authorized with a SubjectAccessReview. Bad settings stop start-up with a clear message.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyCrd, createNamespace, deleteNamespace, KUBECONFIG, kubectl, kubectlOk, REPO_ROOT, waitFor, type OperatorProcess } from '../harness.ts';
import {
  applyAll,
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

beforeAll(async () => {
  await applyCrd();
  namespace = await createNamespace('endpoints');
  operator = startObservedOperator(['--namespaces', namespace, '--leader-elect', 'false', '--metrics-auth', 'false']);
  urls = await operatorUrls(operator);
});

afterAll(async () => {
  await operator?.stop('SIGKILL');
  await deleteNamespace(namespace);
});

describe('metrics before any reconcile', () => {
  const zeroes: Array<[string, Record<string, string>]> = [
    ['controller_runtime_reconcile_total', { controller: 'microservice', result: 'success' }],
    ['controller_runtime_reconcile_total', { controller: 'microservice', result: 'error' }],
    ['controller_runtime_reconcile_total', { controller: 'microservice', result: 'requeue_after' }],
    ['controller_runtime_reconcile_errors_total', { controller: 'microservice' }],
    ['workqueue_adds_total', { name: 'microservice' }],
    ['workqueue_retries_total', { name: 'microservice' }],
    ['workqueue_depth', { name: 'microservice' }],
    ['controller_runtime_active_workers', { controller: 'microservice' }],
    ['flywheel_microservices', { phase: 'Ready' }],
    ['flywheel_microservices', { phase: 'Degraded' }],
  ];

  it.each(zeroes)('shows %s %o at 0', async (name, labels) => {
    expect(metricValue(await scrape(urls.metrics), name, labels)).toBe(0);
  });

  it('shows the configured workers', async () => {
    expect(metricValue(await scrape(urls.metrics), 'controller_runtime_max_concurrent_reconciles', { controller: 'microservice' })).toBe(4);
  });

  it('omits the leader gauge without leader election', async () => {
    expect(metricValue(await scrape(urls.metrics), 'leader_election_master_status')).toBeUndefined();
  });
});

describe('probes', () => {
  it('answers /healthz', async () => {
    const response = await fetch(`${urls.probes}/healthz`);
    expect(response.status).toBe(200);
  });

  it('answers /readyz once caches synced', async () => {
    // The probe server starts before the informers, so /readyz returns 503 until they sync.
    await waitForLog(operator, 'the operator caches to sync', (line) => line.message === 'caches synced');
    const response = await fetch(`${urls.probes}/readyz?verbose`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('[+]informers ok');
  });

  it('serves no metrics on the probe port', async () => {
    expect((await fetch(`${urls.probes}/metrics`)).status).toBe(404);
  });
});

describe('metrics after reconciles', () => {
  it('counts Microservices by phase', async () => {
    await applyAll(['alpha', 'beta'].map((name) => microservice(namespace, name)));
    await waitConverged(namespace, ['alpha', 'beta']);
    // The gauge counts the phases in the operator's informer cache, whose watch can
    // deliver the Ready status after kubectl has read it.
    const text = await waitFor('flywheel_microservices{phase="Ready"} to reach 2', async () => {
      const scraped = await scrape(urls.metrics);
      return metricValue(scraped, 'flywheel_microservices', { phase: 'Ready' }) === 2 ? scraped : undefined;
    });
    expect(metricValue(text, 'flywheel_microservices', { phase: 'Ready' })).toBe(2);
    expect(metricValue(text, 'controller_runtime_reconcile_total', { result: 'success' })).toBeGreaterThan(0);
    expect(metricValue(text, 'rest_client_requests_total', { method: 'PATCH', code: '200' })).toBeGreaterThan(0);
  });
});

describe('metrics authentication', () => {
  let secured: OperatorProcess;
  let securedUrls: OperatorUrls;
  let directory: string;
  let tlsAgent: Agent;
  const tokens: Record<string, string> = {};
  const clusterRole = () => `flywheel-e2e-metrics-${namespace}`;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'flywheel-metrics-tls-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', join(directory, 'tls.key'), '-out', join(directory, 'tls.crt'),
    ], { stdio: 'ignore' });
    tlsAgent = new Agent({ connect: { ca: readFileSync(join(directory, 'tls.crt')) } });

    await kubectlOk(['create', 'serviceaccount', 'scraper', '-n', namespace]);
    await kubectlOk(['create', 'serviceaccount', 'intruder', '-n', namespace]);
    await kubectlOk(['create', 'clusterrole', clusterRole(), '--non-resource-url=/metrics', '--verb=get']);
    await kubectlOk(['create', 'clusterrolebinding', clusterRole(), `--clusterrole=${clusterRole()}`, `--serviceaccount=${namespace}:scraper`]);
    tokens.scraper = (await kubectlOk(['create', 'token', 'scraper', '-n', namespace])).trim();
    tokens.intruder = (await kubectlOk(['create', 'token', 'intruder', '-n', namespace])).trim();
    // The API server's RBAC authorizer learns of new bindings from a watch. Until it has
    // this one, the scraper is denied, and the operator would cache that denial.
    await waitFor('RBAC to allow the scraper to get /metrics', async () => {
      const result = await kubectl(['auth', 'can-i', 'get', '/metrics', '--as', `system:serviceaccount:${namespace}:scraper`]);
      return result.stdout.trim() === 'yes' ? true : undefined;
    }, 60_000);

    secured = startObservedOperator([
      '--namespaces', namespace, '--leader-elect', 'false', '--metrics-auth', 'true',
      '--metrics-cert-file', join(directory, 'tls.crt'), '--metrics-key-file', join(directory, 'tls.key'),
    ]);
    securedUrls = await operatorUrls(secured);
  });

  afterAll(async () => {
    await secured?.stop('SIGKILL');
    await kubectl(['delete', 'clusterrolebinding,clusterrole', clusterRole(), '--ignore-not-found']);
    rmSync(directory, { recursive: true, force: true });
  });

  const get = (authorization?: string) =>
    undiciFetch(securedUrls.metrics, { dispatcher: tlsAgent, headers: authorization ? { authorization } : {} });

  const cases: Array<[string, number, () => string | undefined]> = [
    ['no token', 401, () => undefined],
    ['another scheme', 401, () => 'Basic c2NyYXBlcjpzZWNyZXQ='],
    ['an invalid token', 401, () => 'Bearer not-a-valid-token'],
    ['a token without the permission', 403, () => `Bearer ${tokens.intruder}`],
    ['a token with the permission', 200, () => `Bearer ${tokens.scraper}`],
  ];

  it.each(cases)('answers %s with %d', async (_name, status, authorization) => {
    expect((await get(authorization())).status).toBe(status);
  });

  it('serves metrics to an allowed token', async () => {
    const response = await get(`Bearer ${tokens.scraper}`);
    expect(await response.text()).toContain('controller_runtime_reconcile_total');
  });

  it('serves HTTPS only', async () => {
    expect(securedUrls.metrics.startsWith('https://')).toBe(true);
  });

  it('never logs a token', () => {
    const logged = JSON.stringify(secured.logs);
    expect(logged).not.toContain(tokens.scraper);
    expect(logged).not.toContain(tokens.intruder);
  });
});

describe('start-up failures', () => {
  /** Runs the operator to its exit and returns the exit code and everything it printed. */
  function runToExit(args: string[]): Promise<{ code: number | null; output: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [`${REPO_ROOT}operator/src/main.ts`, '--kubeconfig', KUBECONFIG, '--log-format', 'json', ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      // 'close' comes after the last output was read from the pipes, but 'exit' may come before.
      child.once('close', (code) => resolve({ code, output }));
    });
  }

  it('exits 2 on an invalid setting', async () => {
    const result = await runToExit(['--leader-elect-lease-duration', '5s', '--leader-elect-renew-deadline', '8s']);
    expect(result.code).toBe(2);
    expect(result.output).toContain('--leader-elect-lease-duration (5s) must be greater than --leader-elect-renew-deadline (8s)');
  });

  it('exits 1 when the metrics port is taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const result = await runToExit(['--namespaces', namespace, '--metrics-bind-address', `127.0.0.1:${port}`, '--health-probe-bind-address', '127.0.0.1:0']);
      expect(result.code).toBe(1);
      expect(result.output).toContain(`failed to listen on 127.0.0.1:${port} (--metrics-bind-address)`);
    } finally {
      blocker.close();
    }
  });
});

describe('shutdown', () => {
  it('exits 0 on SIGTERM', async () => {
    expect(await operator.stop('SIGTERM')).toBe(0);
  });

  it('logs the stop', () => {
    expect(operator.logs.map((line) => line.message)).toEqual(expect.arrayContaining(['stopping', 'stopped']));
  });
});
