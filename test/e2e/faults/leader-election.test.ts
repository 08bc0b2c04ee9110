/**
 * Leader election between operator replicas on the local control plane. Only the holder
 * of the Lease reconciles. A standby takes over once the Lease expires after the leader
 * is killed, and at once when the leader releases it on SIGTERM. A leader that loses the
 * API server exits before any standby takes over.
 *
 * The Lease timings are shorter than the defaults (15s/10s/2s) to keep the file fast;
 * the election logic does not depend on their size, only on their order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyCrd, createNamespace, deleteNamespace, KUBECONFIG, type OperatorProcess } from '../harness.ts';
import { FaultProxy, NO_FAULTS } from '../fault-proxy.ts';
import {
  applyAll,
  identityOf,
  isRunning,
  leaseHolder,
  metricValue,
  microservice,
  operatorUrls,
  scrape,
  startObservedOperator,
  timeOf,
  waitConverged,
  waitForLog,
} from './helpers.ts';

const LEASE_DURATION_MS = 6_000;
const RENEW_DEADLINE_MS = 4_000;
const RETRY_PERIOD_MS = 1_000;
/** Allowed difference between the leader's renewTime clock and the standby's log clock. */
const CLOCK_TOLERANCE_MS = 100;
const LEASE_NAME = 'flywheel-operator';

let namespace: string;
let proxy: FaultProxy;
const operators: OperatorProcess[] = [];

function startReplica(extra: string[] = []): OperatorProcess {
  const operator = startObservedOperator([
    '--namespaces', namespace,
    '--leader-elect', 'true',
    '--leader-elect-resource-namespace', namespace,
    '--leader-elect-lease-duration', `${LEASE_DURATION_MS}ms`,
    '--leader-elect-renew-deadline', `${RENEW_DEADLINE_MS}ms`,
    '--leader-elect-retry-period', `${RETRY_PERIOD_MS}ms`,
    ...extra,
  ]);
  operators.push(operator);
  return operator;
}

const acquired = (operator: OperatorProcess, timeoutMs = 60_000) =>
  waitForLog(operator, 'the replica to acquire the Lease', (line) => line.message === 'acquired leader lease', timeoutMs);

const competing = (operator: OperatorProcess) =>
  waitForLog(operator, 'the replica to compete for the Lease', (line) => line.message === 'attempting to acquire leader lease');

const reconcileCount = async (operator: OperatorProcess) =>
  metricValue(await scrape((await operatorUrls(operator)).metrics), 'controller_runtime_reconcile_total', { controller: 'microservice' });

const writes = (operator: OperatorProcess) =>
  operator.logs.filter((line) => line.message === 'created object' || line.message === 'updated object' || line.message === 'reconciled');

beforeAll(async () => {
  await applyCrd();
  namespace = await createNamespace('leader');
  proxy = await FaultProxy.start(KUBECONFIG);
});

afterAll(async () => {
  await Promise.all(operators.map((operator) => operator.stop('SIGKILL')));
  await proxy?.close();
  await deleteNamespace(namespace);
});

describe('leader election', () => {
  let first: OperatorProcess;
  let second: OperatorProcess;

  it('gives the Lease to one replica', async () => {
    first = startReplica();
    await acquired(first);
    second = startReplica();
    await competing(second);
    expect((await leaseHolder(namespace, LEASE_NAME))?.holder).toBe(identityOf(first));
  });

  it('writes MicroTime timestamps', async () => {
    const lease = await leaseHolder(namespace, LEASE_NAME);
    expect(lease?.acquireTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    expect(lease?.renewTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    expect(lease?.transitions).toBe(0);
  });

  it('keeps the standby ready', async () => {
    const { probes } = await operatorUrls(second);
    await waitForLog(second, 'the standby caches to sync', (line) => line.message === 'caches synced');
    expect((await fetch(`${probes}/readyz`)).status).toBe(200);
  });

  it('reports leader status per replica', async () => {
    expect(metricValue(await scrape((await operatorUrls(first)).metrics), 'leader_election_master_status', { name: LEASE_NAME })).toBe(1);
    expect(metricValue(await scrape((await operatorUrls(second)).metrics), 'leader_election_master_status', { name: LEASE_NAME })).toBe(0);
  });

  it('lets only the leader reconcile', async () => {
    const names = ['one', 'two', 'three'];
    await applyAll(names.map((name) => microservice(namespace, name)));
    await waitConverged(namespace, names);
    expect(await reconcileCount(first)).toBeGreaterThan(0);
    expect(await reconcileCount(second)).toBe(0);
    expect(writes(second)).toEqual([]);
  });

  it('hands over after kill -9 once the Lease expires', async ({ annotate }) => {
    const before = await leaseHolder(namespace, LEASE_NAME);
    const killedAt = Date.now();
    await first.stop('SIGKILL');

    const takeover = await acquired(second);
    const afterKillMs = timeOf(takeover) - killedAt;
    await annotate(`standby acquired the Lease ${afterKillMs} ms after kill -9 (lease duration ${LEASE_DURATION_MS} ms)`);

    const lease = await leaseHolder(namespace, LEASE_NAME);
    expect(lease?.holder).toBe(identityOf(second));
    expect(lease?.transitions).toBe((before?.transitions ?? 0) + 1);
    // The standby must have waited for the Lease to expire on its own clock. That clock
    // started when the standby first read the leader's last renewal, which is `before` or a
    // later one, so at or after before.renewTime. The kill time is no bound, because under
    // load the last renewal can precede the kill by more than one retry period.
    const lastRenewalMs = Date.parse(before?.renewTime ?? '');
    expect(lastRenewalMs).not.toBeNaN();
    // The leader computes renewTime from performance.timeOrigin plus performance.now(),
    // which can drift from the wall clock of the log timestamp over the process's life.
    // CLOCK_TOLERANCE_MS covers that drift and nothing else.
    expect(timeOf(takeover) - lastRenewalMs).toBeGreaterThanOrEqual(LEASE_DURATION_MS - CLOCK_TOLERANCE_MS);
    expect(operatorLine(second, 'took over leader lease')?.expired).toBe(true);
  });

  it('reconciles under the new leader', async () => {
    await applyAll([microservice(namespace, 'four')]);
    const [four] = await waitConverged(namespace, ['four']);
    expect(four?.status?.phase).toBe('Ready');
    expect(await reconcileCount(second)).toBeGreaterThan(0);
  });

  let proxied: OperatorProcess;

  it('hands over at once after SIGTERM', async ({ annotate }) => {
    // This standby reaches the API server through the fault proxy, for the next test.
    proxied = startReplica(['--kubeconfig', proxy.kubeconfigPath]);
    await competing(proxied);
    await waitForLog(proxied, 'the standby caches to sync', (line) => line.message === 'caches synced');

    const stoppedAt = Date.now();
    expect(await second.stop('SIGTERM')).toBe(0);
    const takeover = await acquired(proxied);
    await annotate(`standby acquired the released Lease ${timeOf(takeover) - stoppedAt} ms after SIGTERM`);

    expect(operatorLine(second, 'released leader lease')).toBeDefined();
    expect(operatorLine(proxied, 'took over leader lease')?.expired).toBe(false);
    expect((await leaseHolder(namespace, LEASE_NAME))?.holder).toBe(identityOf(proxied));
  });

  it('stops a cut-off leader before takeover', async ({ annotate }) => {
    const standby = startReplica();
    await competing(standby);
    await waitForLog(standby, 'the standby caches to sync', (line) => line.message === 'caches synced');

    proxy.setRule(() => ({ status: 503 }));
    const cutAt = Date.now();
    const exitCode = await proxied.exited;
    const takeover = await acquired(standby);
    proxy.setRule(NO_FAULTS);

    const lost = operatorLine(proxied, 'leader election lost, exiting');
    expect(exitCode).toBe(1);
    expect(lost).toBeDefined();
    expect(timeOf(lost!)).toBeLessThan(timeOf(takeover));
    expect(isRunning(proxied)).toBe(false);
    await annotate(`cut-off leader exited ${timeOf(lost!) - cutAt} ms after the cut; standby acquired ${timeOf(takeover) - cutAt} ms after it`);

    await applyAll([microservice(namespace, 'five')]);
    await waitConverged(namespace, ['one', 'two', 'three', 'four', 'five']);
  });
});

function operatorLine(operator: OperatorProcess, message: string): Record<string, unknown> | undefined {
  return operator.logs.find((line) => line.message === message);
}
