/**
 * Operator entry point: `node operator/src/main.ts [options]`. Reads the configuration,
 * serves metrics and probes, starts the informers, runs the workers while this process
 * leads (or at once without leader election), and stops cleanly on SIGTERM or SIGINT.
 *
 * Exit codes: 0 after a clean stop; 1 when start-up fails, when the Lease is lost, or
 * when reconciles outlast --graceful-shutdown-timeout; 2 for invalid configuration.
 */
import { ConfigError, helpText, parseConfig, type OperatorConfig } from './config.ts';
import { startEndpoints } from './http/endpoints.ts';
import type { RunningServer } from './http/server.ts';
import { KubeClient } from './kube/client.ts';
import { ApiError } from './kube/errors.ts';
import { LeaderElector } from './leader/elector.ts';
import { leaderIdentity } from './leader/identity.ts';
import { LeaseLock } from './leader/lease-lock.ts';
import { createLogger, type Logger } from './log.ts';
import { KubeconfigError, loadClusterConnection } from './kube/kubeconfig.ts';
import { Manager } from './manager.ts';
import { HTTP_CLOSE_TIMEOUT_MS, STARTUP_RETRY_ATTEMPTS, STARTUP_RETRY_BASE_MS } from './runtime/constants.ts';
import { countMicroservicesFrom } from './runtime/metrics.ts';

interface VersionInfo {
  major: string;
  minor: string;
}

export async function runOperator(argv: string[]): Promise<number> {
  let config: OperatorConfig;
  try {
    const parsed = parseConfig(argv, process.env, process.stdout.isTTY === true);
    if (parsed === 'help') {
      process.stdout.write(helpText());
      return 0;
    }
    config = parsed;
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`flywheel: invalid configuration: ${error.message}\n`);
      return 2;
    }
    throw error;
  }

  const log = createLogger(config.logLevel, config.logFormat);
  process.on('unhandledRejection', (reason) => {
    // Node.js would crash without a log line in the configured format; keep the crash.
    log.error('unhandled promise rejection, exiting', { error: reason });
    process.exit(1);
  });
  try {
    return await operate(config, log);
  } catch (error) {
    log.error('operator failed', { error });
    return error instanceof KubeconfigError ? 2 : 1;
  }
}

async function operate(config: OperatorConfig, log: Logger): Promise<number> {
  const stop = watchStopSignals(log);

  const client = new KubeClient(loadClusterConnection(config.kubeconfig));
  if (!config.kubernetesVersion) {
    const version = await retryTransient('read the API server version', log, () => client.request<VersionInfo>('GET', '/version'));
    config.platform.kubernetesVersion = `${version.major}.${version.minor.replace(/\D+$/, '')}`;
  }

  const manager = new Manager(config, log, client);
  await retryTransient('check the API groups (preflight)', log, () => manager.preflight());
  log.info('starting', describeConfig(config));

  let stopping = false;
  countMicroservicesFrom(() => manager.microservices.flatMap((informer) => informer.list()).map((object) => object.status?.phase));
  const servers = await startEndpoints(config, log, client, {
    cachesNotReady: () => (manager.hasSynced ? undefined : 'informer caches not synced yet'),
    stopping: () => stopping,
  });

  const synced = manager.startInformers().then(() => 'synced' as const);
  let elector: LeaderElector | undefined;
  if ((await Promise.race([synced, stop.signalled])) === 'synced') {
    log.info('caches synced');
    elector = startWorkersWhenLeading(config, log, client, manager, stop.fail);
  }

  const first = await Promise.race([stop.signalled, stop.failed]);
  if (typeof first === 'number') return first;
  stopping = true;
  return shutDown(first, config, log, manager, elector, servers, stop.failed);
}

/** Starts the workers now, or once this process holds the Lease; returns the elector if any. */
function startWorkersWhenLeading(
  config: OperatorConfig,
  log: Logger,
  client: KubeClient,
  manager: Manager,
  fail: (exitCode: number) => void,
): LeaderElector | undefined {
  const settings = config.leaderElection;
  if (!settings.enabled) {
    log.info('starting workers', { workers: config.workers, leaderElection: false });
    manager.startWorkers();
    return undefined;
  }
  const elector = new LeaderElector({
    lock: new LeaseLock(client, settings.leaseNamespace, settings.leaseName),
    identity: leaderIdentity(process.env),
    leaseDurationMs: settings.leaseDurationMs,
    renewDeadlineMs: settings.renewDeadlineMs,
    retryPeriodMs: settings.retryPeriodMs,
    log,
    onStartedLeading: () => {
      log.info('starting workers', { workers: config.workers, leaderElection: true });
      manager.startWorkers();
    },
    onStoppedLeading: () => {
      // Like controller-runtime: stop handing out keys and exit before the Lease can
      // expire, without waiting for running reconciles, so a new leader never overlaps
      // with this one. The restarted process competes again with empty state.
      manager.queue.shutDown();
      log.error('leader election lost, exiting', { exitCode: 1 });
      fail(1);
    },
  });
  elector.start();
  return elector;
}

/**
 * Shuts down gracefully: stops handing out keys, lets running reconciles finish within
 * the timeout, releases the Lease and closes the HTTP servers. The Lease is renewed until
 * the reconciles are done. It is kept when they outlast the timeout, because releasing it
 * then would let a new leader write while this process still does.
 */
async function shutDown(
  signal: NodeJS.Signals,
  config: OperatorConfig,
  log: Logger,
  manager: Manager,
  elector: LeaderElector | undefined,
  servers: RunningServer[],
  failed: Promise<number>,
): Promise<number> {
  log.info('stopping', { signal, timeoutMs: config.gracefulShutdownTimeoutMs });
  // A standby stops competing at once, so it cannot become leader while shutting down.
  if (elector && !elector.isLeader) await elector.stop(false);

  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), config.gracefulShutdownTimeoutMs)));
  const outcome = await Promise.race([manager.stop().then(() => 'drained' as const), timedOut, failed]);
  clearTimeout(timer);
  if (typeof outcome === 'number') return outcome;
  const drained = outcome === 'drained';
  if (!drained) {
    log.error('graceful shutdown timed out with reconciles still running, so the leader lease is kept until it expires', {
      timeoutMs: config.gracefulShutdownTimeoutMs,
    });
  }

  const released = elector ? await elector.stop(drained) : false;
  await Promise.all(servers.map((server) => server.close(HTTP_CLOSE_TIMEOUT_MS)));
  log.info('stopped', { leaseReleased: released, exitCode: drained ? 0 : 1 });
  return drained ? 0 : 1;
}

interface StopSignals {
  /** Resolves with the first SIGTERM or SIGINT. */
  signalled: Promise<NodeJS.Signals>;
  /** Resolves with an exit code when a fatal event ends the operator without the graceful path. */
  failed: Promise<number>;
  fail(exitCode: number): void;
}

/**
 * Watches for SIGTERM and SIGINT. A second signal exits at once with code 1, for an
 * operator stuck in shutdown, as controller-runtime's signal handler does.
 */
function watchStopSignals(log: Logger): StopSignals {
  let signal: (name: NodeJS.Signals) => void = () => {};
  let fail: (exitCode: number) => void = () => {};
  const signalled = new Promise<NodeJS.Signals>((resolve) => (signal = resolve));
  const failed = new Promise<number>((resolve) => (fail = resolve));
  let received = 0;
  const onSignal = (name: NodeJS.Signals) => {
    received += 1;
    if (received > 1) {
      log.warn('second stop signal, exiting at once', { signal: name, exitCode: 1 });
      process.exit(1);
    }
    signal(name);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return { signalled, failed, fail: (exitCode) => fail(exitCode) };
}

/**
 * Runs a start-up step, retrying it with a doubling delay while it fails with a
 * transient API error (no response, 429 or 5xx anywhere in the cause chain).
 */
async function retryTransient<T>(step: string, log: Logger, run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= STARTUP_RETRY_ATTEMPTS || !isTransient(error)) throw error;
      const retryInMs = STARTUP_RETRY_BASE_MS * 2 ** (attempt - 1);
      log.warn('start-up step failed, retrying', { step, attempt, retryInMs, error });
      await new Promise((resolve) => setTimeout(resolve, retryInMs));
    }
  }
}

function isTransient(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof ApiError) return cause.status === 0 || cause.status === 429 || cause.status >= 500;
  }
  return false;
}

function describeConfig(config: OperatorConfig): Record<string, unknown> {
  const address = (bind: OperatorConfig['metricsBindAddress']) => (bind ? `${bind.host}:${bind.port}` : 'off');
  return {
    namespaces: config.namespaces.length > 0 ? config.namespaces : 'all',
    workers: config.workers,
    mesh: config.platform.mesh.enabled,
    kubernetesVersion: config.platform.kubernetesVersion,
    leaderElection: config.leaderElection.enabled
      ? { lease: `${config.leaderElection.leaseNamespace}/${config.leaderElection.leaseName}`, leaseDurationMs: config.leaderElection.leaseDurationMs }
      : false,
    metricsBindAddress: address(config.metricsBindAddress),
    metricsAuth: config.metricsAuth,
    healthProbeBindAddress: address(config.healthProbeBindAddress),
  };
}

if (import.meta.main) {
  runOperator(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`flywheel: ${error instanceof Error ? error.message : String(error)}\n`);
      if (error instanceof Error && error.cause instanceof Error) process.stderr.write(`  cause: ${error.cause.message}\n`);
      process.exit(1);
    },
  );
}
