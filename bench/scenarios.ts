/**
 * The measured runs. A floor run server-side applies the rendered objects itself and
 * waits for the Deployments. An operator run creates Microservices and waits for the
 * operator to report them Ready. Both then change every image once (the update wave).
 * Each run uses a fresh namespace and deletes it before the next run starts, so one
 * run's clean-up never overlaps another run's clock.
 */
import type { Microservice } from '../cdk8s/src/api/microservice.ts';
import { DEFAULT_PLATFORM, type PlatformSettings } from '../cdk8s/src/api/platform.ts';
import { renderMicroservice, type KubeObject } from '../cdk8s/src/render.ts';
import { MERGE_PATCH, type KubeClient } from '../operator/src/kube/client.ts';
import { isConflict } from '../operator/src/kube/errors.ts';
import { DEPLOYMENT, MICROSERVICE, collectionPath, objectPath, resourceTypeOf } from '../operator/src/kube/resources.ts';
import { FIELD_MANAGER, RECHECK_AFTER_WRITE_MS } from '../operator/src/runtime/constants.ts';
import { createNamespace, deleteNamespace, retrying, runPool } from './cluster.ts';
import { OperatorProcess, requestDelta, sleep, writesOf, type OperatorCounters } from './operator-process.ts';
import { timeoutFor, type BenchOptions } from './options.ts';
import { ConvergenceTracker, type WaitResult } from './tracker.ts';
import { IMAGES, benchMicroservice, deploymentConverged, microserviceConverged, microserviceName, templateImage } from './workload.ts';

/** Time allowed for an operator to start and list its caches. */
const CACHE_SYNC_TIMEOUT_MS = 120_000;

export interface BenchContext {
  options: BenchOptions;
  client: KubeClient;
  repoRoot: string;
  /** Kubernetes version as 1.NN, passed to rendering as the operator would detect it. */
  kubernetesMinor: string;
  /** Called with a one-line progress message. */
  progress: (message: string) => void;
}

export interface WaveResult {
  /** Seconds from the first write to the last object converging; null after a timeout. */
  seconds: number | null;
  /** Seconds the benchmark spent sending its own writes (creates, patches or applies). */
  writeSeconds: number;
  /**
   * Seconds until every Deployment carried the wave's image. For the floor this is when
   * its applies returned, and for the operator when the watch showed its last apply.
   * Null if that never happened.
   */
  appliedSeconds: number | null;
  /** Objects converged when the wait ended. */
  converged: number;
}

export interface FloorRun {
  create: WaveResult;
  /** Absent when the run skipped the update wave. */
  update?: WaveResult;
  cleanupSeconds: number;
}

export interface SteadyResult {
  seconds: number;
  requests: Record<string, number>;
  writes: number;
  cpuSeconds: number;
}

export interface RestartResult {
  /** Seconds from spawning the new process until every key was reconciled once; null after a timeout. */
  seconds: number | null;
  /** Seconds from 'caches synced' until every key was reconciled once. */
  afterCacheSyncSeconds: number | null;
  reconciledKeys: number;
  requests: Record<string, number>;
  writes: number;
  peakRssMiB: number;
}

export interface OperatorRun {
  create: OperatorWave;
  /** Absent when the run skipped the update wave. */
  update?: OperatorWave;
  /** Peak RSS (VmHWM) of the operator from its start until it was stopped, in MiB. */
  peakRssMiB: number;
  /** Warning and error lines the operator logged; the first few are kept in `problems`. */
  problemCount: number;
  problems: string[];
  steady?: SteadyResult;
  restart?: RestartResult;
  cleanupSeconds: number;
}

export interface OperatorWave extends WaveResult {
  /** Operator requests during the wave, by HTTP method. */
  requests: Record<string, number>;
  /** Operator CPU time (user plus system) during the wave, in seconds. */
  cpuSeconds: number;
}

export function platformFor(context: BenchContext): PlatformSettings {
  return { ...DEFAULT_PLATFORM, kubernetesVersion: context.kubernetesMinor, mesh: { enabled: context.options.mesh } };
}

/**
 * Measures the floor: the same rendered objects, applied with the operator's client by
 * as many concurrent appliers as the operator has workers, with nothing in between.
 */
export async function runFloor(context: BenchContext, size: number): Promise<FloorRun> {
  const { client, options } = context;
  const namespace = await createNamespace(client, `bench-floor-${size}`);
  const tracker = new ConvergenceTracker<KubeObject>(client, DEPLOYMENT, namespace);
  const platform = platformFor(context);
  const applied: string[][] = [];

  try {
    await tracker.start();
    const wave = async (image: string): Promise<WaveResult> => {
      tracker.expect(size, deploymentConverged(image) as (object: KubeObject) => boolean);
      const startedAt = performance.now();
      await runPool(size, options.workers, async (index) => {
        const objects = renderMicroservice(benchMicroservice(namespace, index, image), platform);
        const previous = applied[index] ?? [];
        applied[index] = objects.map((object) => JSON.stringify(object));
        for (const [position, object] of objects.entries()) {
          // Like the operator, skip objects that did not change, which leaves only the Deployment in an update.
          if (previous[position] === applied[index][position]) continue;
          const path = objectPath(resourceTypeOf(object.apiVersion, object.kind), object.metadata.namespace, object.metadata.name);
          await retrying(() => client.apply(path, object, FIELD_MANAGER));
        }
      });
      const writtenAt = performance.now();
      return waveResult(await tracker.wait(timeoutFor(options, size)), startedAt, writtenAt, writtenAt);
    };

    context.progress(`floor N=${size}: create wave in ${namespace}`);
    const create = await wave(IMAGES[0]);
    context.progress(`floor N=${size}: create ${describeWave(create, size)}`);
    let update: WaveResult | undefined;
    if (options.update) {
      update = await wave(IMAGES[1]);
      context.progress(`floor N=${size}: update ${describeWave(update, size)}`);
    }
    await tracker.stop();
    return { create, update, cleanupSeconds: await deleteNamespace(client, namespace, cleanupTimeout(size)) };
  } catch (error) {
    await tracker.stop();
    await deleteNamespace(client, namespace, cleanupTimeout(size)).catch(() => undefined);
    throw error;
  }
}

export interface OperatorRunPlan {
  /** Whether the run measures idle writes and CPU once the waves converged. */
  steady: boolean;
  /** Whether the run restarts the operator at the end and times its resync. */
  restart: boolean;
}

/** Creates N Microservices for an operator watching only a fresh namespace, then changes every image. */
export async function runOperator(context: BenchContext, size: number, plan: OperatorRunPlan): Promise<OperatorRun> {
  const { client, options } = context;
  const namespace = await createNamespace(client, `bench-operator-${size}`);
  const tracker = new ConvergenceTracker<Microservice>(client, MICROSERVICE, namespace);
  const children = new ConvergenceTracker<KubeObject>(client, DEPLOYMENT, namespace);
  let operator: OperatorProcess | undefined;

  try {
    await tracker.start();
    await children.start();
    operator = startOperator(context, namespace, 'info');
    await operator.waitForCacheSync(CACHE_SYNC_TIMEOUT_MS);
    const running = operator;

    const wave = async (image: string, write: (index: number) => Promise<unknown>) => {
      tracker.expect(size, microserviceConverged(image));
      children.expect(size, (object) => templateImage(object) === image);
      const before = await running.counters();
      const cpuBefore = running.cpuSeconds();
      const startedAt = performance.now();
      await runPool(size, options.createConcurrency, async (index) => {
        await retrying(() => write(index));
      });
      const writtenAt = performance.now();
      const converged = await tracker.wait(timeoutFor(options, size));
      const applied = await children.wait(0);
      const result = waveResult(converged, startedAt, writtenAt, applied.reachedAt);
      const requests = requestDelta((await running.counters()).requests, before.requests);
      return { ...result, requests, cpuSeconds: running.cpuSeconds() - cpuBefore };
    };

    context.progress(`operator N=${size}: create wave in ${namespace}`);
    const create = await wave(IMAGES[0], async (index) => {
      try {
        await client.request('POST', collectionPath(MICROSERVICE, namespace), { body: benchMicroservice(namespace, index, IMAGES[0]) });
      } catch (error) {
        // A retried create whose first attempt reached the API server finds its object there.
        if (!isConflict(error)) throw error;
      }
    });
    context.progress(`operator N=${size}: create ${describeWave(create, size)}, CPU ${create.cpuSeconds.toFixed(1)} s, peak RSS ${running.peakRssMiB().toFixed(0)} MiB`);
    let update: OperatorWave | undefined;
    if (options.update) {
      update = await wave(IMAGES[1], (index) =>
        client.request('PATCH', objectPath(MICROSERVICE, namespace, microserviceName(index)), {
          body: { spec: { image: IMAGES[1] } },
          contentType: MERGE_PATCH,
        }),
      );
      context.progress(`operator N=${size}: update ${describeWave(update, size)}, CPU ${update.cpuSeconds.toFixed(1)} s, peak RSS ${running.peakRssMiB().toFixed(0)} MiB`);
    }

    let steady: SteadyResult | undefined;
    if (plan.steady) {
      context.progress(`operator N=${size}: steady state for ${options.idleSeconds} s`);
      steady = await measureSteady(running, options.idleSeconds);
    }
    const peakRssMiB = running.peakRssMiB();
    const problems = { problemCount: running.problemCount, problems: running.problems };
    await running.stop();
    operator = undefined;

    let restart: RestartResult | undefined;
    if (plan.restart) {
      context.progress(`operator N=${size}: restart`);
      restart = await measureRestart(context, namespace, size);
    }
    await tracker.stop();
    await children.stop();
    const cleanupSeconds = await deleteNamespace(client, namespace, cleanupTimeout(size));
    return { create, update, peakRssMiB, ...problems, steady, restart, cleanupSeconds };
  } catch (error) {
    await operator?.stop();
    await tracker.stop();
    await children.stop();
    await deleteNamespace(client, namespace, cleanupTimeout(size)).catch(() => undefined);
    throw error;
  }
}

async function measureSteady(operator: OperatorProcess, idleSeconds: number): Promise<SteadyResult> {
  const before = await operator.counters();
  const cpuBefore = operator.cpuSeconds();
  const startedAt = performance.now();
  await sleep(idleSeconds * 1000);
  const after = await operator.counters();
  const requests = requestDelta(after.requests, before.requests);
  return {
    seconds: (performance.now() - startedAt) / 1000,
    requests,
    writes: writesOf(requests),
    cpuSeconds: operator.cpuSeconds() - cpuBefore,
  };
}

/**
 * Starts a second operator on the converged namespace with debug logs, whose 'reconciled'
 * line per key shows when every key has been through one reconcile. The writes are read
 * once more after RECHECK_AFTER_WRITE_MS, so a write that queued a recheck is also seen.
 */
async function measureRestart(context: BenchContext, namespace: string, size: number): Promise<RestartResult> {
  const operator = startOperator(context, namespace, 'debug');
  try {
    await operator.waitForCacheSync(CACHE_SYNC_TIMEOUT_MS);
    const timeoutMs = timeoutFor(context.options, size);
    const allReconciled = await Promise.race([
      operator.waitForReconciledKeys(size).then(() => true),
      sleep(timeoutMs).then(() => false),
    ]);
    const lastKeyAt = allReconciled ? Math.max(...operator.reconciledKeys.values()) : undefined;
    await sleep(RECHECK_AFTER_WRITE_MS + 1_000);
    const counters: OperatorCounters = await operator.counters();
    const cachesSyncedAt = operator.cachesSyncedAt ?? operator.startedAt;
    return {
      seconds: lastKeyAt === undefined ? null : (lastKeyAt - operator.startedAt) / 1000,
      afterCacheSyncSeconds: lastKeyAt === undefined ? null : (lastKeyAt - cachesSyncedAt) / 1000,
      reconciledKeys: operator.reconciledKeys.size,
      requests: counters.requests,
      writes: writesOf(counters.requests),
      peakRssMiB: operator.peakRssMiB(),
    };
  } finally {
    await operator.stop();
  }
}

function startOperator(context: BenchContext, namespace: string, logLevel: 'info' | 'debug'): OperatorProcess {
  return new OperatorProcess({
    repoRoot: context.repoRoot,
    kubeconfig: context.options.kubeconfig,
    namespace,
    workers: context.options.workers,
    mesh: context.options.mesh,
    logLevel,
    extraArgs: context.options.operatorArgs,
    nodeOptions: context.options.nodeOptions,
  });
}

function waveResult(result: WaitResult, startedAt: number, writtenAt: number, appliedAt: number | undefined): WaveResult {
  return {
    seconds: result.reachedAt === undefined ? null : (result.reachedAt - startedAt) / 1000,
    writeSeconds: (writtenAt - startedAt) / 1000,
    appliedSeconds: appliedAt === undefined ? null : (appliedAt - startedAt) / 1000,
    converged: result.count,
  };
}

function describeWave(wave: WaveResult, size: number): string {
  return wave.seconds === null ? `timed out with ${wave.converged}/${size} converged` : `${wave.seconds.toFixed(1)} s`;
}

/** Limit of one namespace clean-up: an estimate with room for a loaded machine. */
const cleanupTimeout = (size: number): number => (120 + size * 0.2) * 1000;
