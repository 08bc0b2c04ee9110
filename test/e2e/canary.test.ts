/**
 * Canary releases end to end: the operator on the local control plane moves Istio
 * weights step by step, asks a real Prometheus about the canary, and promotes, aborts
 * or pauses. kwok pods run no containers, so the canary and stable "pods" that
 * Prometheus scrapes are inventory services started in this process on 127.0.0.1,
 * labelled through file_sd with the Microservice name, namespace and revision.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { revisionOf } from '../../cdk8s/src/release/revision.ts';
import { runReleaseCommand } from '../../operator/src/cli/release.ts';
import type { RunningService } from '../../services/common/src/server.ts';
import { loadInventoryConfig } from '../../services/inventory/src/config.ts';
import { startServer } from '../../services/inventory/src/server.ts';
import {
  KUBECONFIG,
  REPO_ROOT,
  applyCrd,
  createNamespace,
  deleteNamespace,
  kubeClient,
  kubectl,
  kubectlJson,
  kubectlOk,
  startOperator,
  waitFor,
  type OperatorProcess,
} from './harness.ts';
import { startLoad, startPrometheus, type PrometheusServer, type ScrapeTarget } from './prometheus.ts';

interface Live {
  metadata: { name: string; generation?: number; annotations?: Record<string, string> };
  spec?: any;
  status?: any;
}

interface Observation {
  at: number;
  /**
   * metadata.resourceVersion as a number, which is the etcd revision of the write, or of
   * the delete for a DELETED event. Unlike `at`, it orders changes seen on different watches.
   */
  resourceVersion: number;
  kind: 'VirtualService' | 'DestinationRule' | 'Deployment';
  name: string;
  /** VirtualService: weight per subset ("" for the whole service). */
  weights?: Record<string, number>;
  /** DestinationRule: subset names. */
  subsets?: string[];
  available?: number;
  replicas?: number;
}

const ERROR_RATE_QUERY =
  '(sum(rate(http_requests_total{service="{{service}}",namespace="{{namespace}}",revision="{{revision}}",route="/stock/:sku",status=~"5.."}[5s])) or vector(0))' +
  ' / sum(rate(http_requests_total{service="{{service}}",namespace="{{namespace}}",revision="{{revision}}",route="/stock/:sku"}[5s]))';

const analysis = (inconclusiveLimit: number) => ({
  interval: '2s',
  count: 2,
  failureLimit: 1,
  inconclusiveLimit,
  metrics: [{ name: 'error-rate', query: ERROR_RATE_QUERY, successCondition: { max: 0.05 } }],
});

let namespace: string;
let gatedNamespace: string;
let operator: OperatorProcess;
let prometheus: PrometheusServer;
let healthy: RunningService;
let faulty: RunningService;
let load: { stop(): void };
const targets: ScrapeTarget[] = [];
const observations: Observation[] = [];
const watches = new AbortController();

const operatorArgs = () => [
  '--namespaces', `${namespace},${gatedNamespace}`,
  '--prometheus-address', prometheus.url,
  '--metrics-bind-address', '0',
  '--health-probe-bind-address', '0',
  '--log-level', 'debug',
];

const microservice = (name: string, image: string, canary: Record<string, unknown>, ns = namespace) => ({
  apiVersion: 'flywheel.dev/v1alpha1',
  kind: 'Microservice',
  metadata: { name, namespace: ns },
  spec: {
    image,
    replicas: 4,
    ports: [{ name: 'http', port: 80, targetPort: 8080 }],
    release: { strategy: 'Canary', canary: { scaleDownDelaySeconds: 2, abortScaleDownDelaySeconds: 2, ...canary } },
  },
});

async function apply(object: unknown): Promise<void> {
  await kubectlOk(['apply', '-f', '-'], JSON.stringify(object));
}

/** The revision the operator will compute: the hash of the spec with the API server's defaults. */
async function revisionFor(object: unknown): Promise<string> {
  const defaulted = JSON.parse(await kubectlOk(['apply', '--dry-run=server', '-o', 'json', '-f', '-'], JSON.stringify(object))) as Live;
  return revisionOf(defaulted.spec);
}

const get = (kind: string, name: string, ns = namespace) => kubectlJson<Live>(['get', kind, name, '-n', ns]);

async function tryGet(kind: string, name: string, ns = namespace): Promise<Live | undefined> {
  const result = await kubectl(['get', kind, name, '-n', ns, '-o', 'json']);
  return result.code === 0 ? (JSON.parse(result.stdout) as Live) : undefined;
}

/**
 * Waits until the release of `name` passes `check`. A timeout reports the last release
 * status and operator errors. Most steps wait for pods, and kube-controller-manager lags
 * on a loaded machine, hence the default of two minutes.
 */
async function waitRelease(name: string, what: string, check: (release: any, object: Live) => boolean, timeoutMs = 120_000, ns = namespace): Promise<Live> {
  let last: unknown;
  try {
    return await waitFor(`${name}: ${what}`, async () => {
      const object = await get('microservice', name, ns);
      last = object.status?.release;
      return object.status?.release && check(object.status.release, object) ? object : undefined;
    }, timeoutMs, 200);
  } catch (error) {
    const problems = operator.logs.filter((line) => line.level === 'error' || line.level === 'warn').slice(-5);
    const children = await kubectl(['get', 'deployment,virtualservice,destinationrule', '-n', ns, '-o', 'jsonpath={range .items[*]}{.kind}/{.metadata.name} gen={.metadata.generation} observed={.status.observedGeneration} available={.status.availableReplicas} routes={.spec.http[0].route[*].weight} subsets={.spec.subsets[*].name}{"\\n"}{end}']);
    throw new Error(
      `${(error as Error).message}; last release status: ${JSON.stringify(last)}; children: ${children.stdout}; operator warnings: ${JSON.stringify(problems)}`,
      { cause: error },
    );
  }
}

/**
 * True once the first revision runs on all 4 pods. Waiting for it before a release makes
 * a stalled Deployment controller fail here, with the Deployment in the message, instead
 * of in the middle of a release.
 */
const idleAndAvailable = (release: any, object: Live) => release.phase === 'Idle' && object.status?.availableReplicas === 4;

/** Scrapes `service` as the pods of Microservice `name` at `revision`, and waits until Prometheus has it. */
async function scrapeAs(service: RunningService, name: string, revision: string): Promise<void> {
  const address = new URL(service.url).host;
  targets.push({ address, labels: { service: name, namespace, revision } });
  await prometheus.setTargets(targets);
  await waitFor(`Prometheus scraping ${name} at ${revision}`, async () => {
    const result = await prometheus.query(`up{service="${name}",revision="${revision}"}`);
    return result[0]?.value[1] === '1' ? true : undefined;
  }, 30_000, 500);
}

/** Records every VirtualService, DestinationRule and Deployment change in both namespaces, with the time seen. */
function recordChanges(ns: string): void {
  const client = kubeClient();
  const paths = [
    `/apis/networking.istio.io/v1/namespaces/${ns}/virtualservices`,
    `/apis/networking.istio.io/v1/namespaces/${ns}/destinationrules`,
    `/apis/apps/v1/namespaces/${ns}/deployments`,
  ];
  for (const path of paths) {
    void client
      .watch<any>(path, {}, (event) => {
        if (event.type === 'BOOKMARK') return;
        const object = event.object;
        const base = { at: Date.now(), resourceVersion: Number(object.metadata.resourceVersion), kind: object.kind, name: object.metadata.name };
        if (object.kind === 'VirtualService') {
          const weights: Record<string, number> = {};
          for (const destination of object.spec?.http?.[0]?.route ?? []) weights[destination.destination?.subset ?? ''] = destination.weight;
          observations.push({ ...base, weights: event.type === 'DELETED' ? {} : weights });
        } else if (object.kind === 'DestinationRule') {
          observations.push({ ...base, subsets: event.type === 'DELETED' ? [] : (object.spec?.subsets ?? []).map((subset: { name: string }) => subset.name) });
        } else {
          observations.push({ ...base, available: event.type === 'DELETED' ? 0 : (object.status?.availableReplicas ?? 0), replicas: object.spec?.replicas });
        }
      }, watches.signal)
      .catch(() => undefined);
  }
}

const canaryWeights = (name: string) =>
  observations.filter((o) => o.kind === 'VirtualService' && o.name === name).map((o) => o.weights?.canary);

async function events(name: string, ns = namespace): Promise<Array<{ type: string; reason: string; message: string }>> {
  const list = await kubectlJson<{ items: Array<{ type: string; reason: string; message: string; involvedObject: { name: string } }> }>([
    'get', 'events', '-n', ns, '--field-selector', 'involvedObject.kind=Microservice',
  ]);
  return list.items.filter((event) => event.involvedObject.name === name);
}

/**
 * Applies this tree's CRD again when the live one lacks the canary fields. The local
 * control plane is shared, and a test run from an older tree may have applied its CRD,
 * which prunes spec.release.canary from every Microservice.
 */
async function ensureCrd(): Promise<void> {
  const crd = await kubectlJson<any>(['get', 'crd', 'microservices.flywheel.dev']);
  const release = crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.release;
  if (release?.properties?.canary) return;
  console.warn('the live Microservice CRD lacks spec.release.canary; applying this tree\'s CRD again');
  await applyCrd();
}

beforeEach(ensureCrd);

beforeAll(async () => {
  await applyCrd();
  namespace = await createNamespace('canary');
  gatedNamespace = await createNamespace('canary-gated');
  prometheus = await startPrometheus();
  const env = { HOST: '127.0.0.1', PORT: '0', SHUTDOWN_DELAY_MS: '0', LOG_LEVEL: 'error' };
  healthy = await startServer(loadInventoryConfig({ ...env, VERSION: '2.0.0' }));
  faulty = await startServer(loadInventoryConfig({ ...env, VERSION: '2.0.0-bad', FAULT_ERROR_RATE: '1' }));
  // 20 requests per second to each service for at most 20 minutes, longer than the file
  // takes even on a loaded machine, so analysis never runs out of data. afterAll stops it.
  load = startLoad([`${healthy.url}/stock/widget`, `${faulty.url}/stock/widget`], 20, 24_000);
  recordChanges(namespace);
  recordChanges(gatedNamespace);
  operator = startOperator(operatorArgs());
});

afterAll(async () => {
  watches.abort();
  load?.stop();
  await operator?.stop();
  await Promise.all([healthy?.close(), faulty?.close(), prometheus?.stop()]);
  await Promise.all([deleteNamespace(namespace), deleteNamespace(gatedNamespace)]);
});

// A release waits for pods several times, each wait up to waitRelease's timeout.
describe('canary release', { timeout: 300_000 }, () => {
  const healthySteps = {
    steps: [{ setWeight: 20 }, { pause: { duration: '3s' } }, { analysis: {} }, { setWeight: 50 }, { pause: { duration: '2s' } }, { setWeight: 100 }],
    analysis: analysis(5),
  };

  it('starts a new Microservice without a release', async () => {
    await apply(microservice('promo', 'ghcr.io/acme/inventory:1.0.0', healthySteps));
    const object = await waitRelease('promo', 'Idle', idleAndAvailable);
    expect(object.status.release.stableSpec.image).toBe('ghcr.io/acme/inventory:1.0.0');
    expect(await tryGet('deployment', 'promo-canary')).toBeUndefined();
  });

  it('promotes a healthy canary through every step', async () => {
    const next = microservice('promo', 'ghcr.io/acme/inventory:2.0.0', healthySteps);
    const revision = await revisionFor(next);
    await scrapeAs(healthy, 'promo', revision);
    await apply(next);

    const promoted = await waitRelease('promo', 'Promoted', (release) => release.phase === 'Promoted', 150_000);
    expect(promoted.status.release.stableRevision).toBe(revision);
    expect(promoted.status.release.analysis.successes).toBeGreaterThanOrEqual(2);
    expect(promoted.status.release.analysis.failures).toBe(0);

    const weights = canaryWeights('promo').filter((weight) => weight !== undefined && weight > 0);
    expect([...new Set(weights)]).toEqual([20, 50, 100]);
    const stable = await get('deployment', 'promo');
    expect(stable.spec.template.spec.containers[0].image).toBe('ghcr.io/acme/inventory:2.0.0');
  });

  it('removes the canary after promotion', async () => {
    await waitFor('promo-canary deleted', async () => ((await tryGet('deployment', 'promo-canary')) ? undefined : true), 60_000);
    const service = await waitFor('VirtualService without the canary route', async () => {
      const live = await get('virtualservice', 'promo');
      return live.spec.http[0].route.length === 1 ? live : undefined;
    });
    expect(service.spec.http[0].route[0].weight).toBe(100);
  });

  it('aborts a failing canary', async () => {
    const canary = { steps: [{ setWeight: 20 }, { pause: { duration: '60s' } }, { setWeight: 100 }], analysis: analysis(5) };
    await apply(microservice('faulty', 'ghcr.io/acme/inventory:1.0.0', canary));
    await waitRelease('faulty', 'Idle', idleAndAvailable);
    const next = microservice('faulty', 'ghcr.io/acme/inventory:2.0.0-bad', canary);
    const revision = await revisionFor(next);
    await scrapeAs(faulty, 'faulty', revision);
    await apply(next);

    const aborted = await waitRelease('faulty', 'Aborted', (release) => release.phase === 'Aborted');
    // Weight 20 lasts only until the second failed analysis run, about 2 s, which polling
    // the status with kubectl can miss on a loaded machine. The VirtualService watch
    // records every weight.
    const weighted = await waitFor('an observed canary weight of 20 for faulty', async () =>
      observations.find((o) => o.kind === 'VirtualService' && o.name === 'faulty' && o.weights?.canary === 20),
    30_000);
    // Recorded for the report only; the bound is interval × (failureLimit + 1) plus polling.
    console.log(`faulty canary aborted ${Date.now() - weighted.at} ms after weight 20 was observed`);
    expect(aborted.status.release.canaryRevision).toBe(revision);

    const release = aborted.status.release;
    expect(aborted.status.phase).toBe('Degraded');
    expect(release.weight).toBe(0);
    expect(release.analysis.lastMetric).toBe('error-rate');
    expect(Number(release.analysis.lastValue)).toBeGreaterThan(0.05);
    expect(release.analysis.lastLimit).toBe('<= 0.05');
    expect(release.analysis.lastQuery).toContain(`revision="${revision}"`);
    expect(release.message).toContain('error-rate');
  });

  it('routes nothing to an aborted canary', async () => {
    const service = await waitFor('canary weight 0', async () => {
      const live = await get('virtualservice', 'faulty');
      const canary = live.spec.http[0].route.find((destination: any) => destination.destination.subset === 'canary');
      return !canary || canary.weight === 0 ? live : undefined;
    });
    expect(service.spec.http[0].route.find((destination: any) => destination.destination.subset === 'stable')?.weight ?? 100).toBe(100);
  });

  it('reports the abort in a Warning Event', async () => {
    const warning = await waitFor('ReleaseAborted Event', async () =>
      (await events('faulty')).find((event) => event.type === 'Warning' && event.reason === 'ReleaseAborted'),
    );
    expect(warning.message).toMatch(/metric "error-rate" returned [0-9.]+, limit <= 0\.05, query .*revision=/);
  });

  it('counts an empty result as inconclusive', async () => {
    const canary = { steps: [{ setWeight: 20 }, { pause: {} }], analysis: { ...analysis(1), failureLimit: 0 } };
    await apply(microservice('dark', 'ghcr.io/acme/inventory:1.0.0', canary));
    await waitRelease('dark', 'Idle', idleAndAvailable);
    // No scrape target has this revision, so every query returns no series.
    await apply(microservice('dark', 'ghcr.io/acme/inventory:2.0.0', canary));

    const paused = await waitRelease('dark', 'paused as inconclusive', (release) => release.pauseReason === 'Inconclusive');
    const release = paused.status.release;
    expect(release.phase).toBe('Paused');
    expect(release.analysis.failures).toBe(0);
    expect(release.analysis.inconclusive).toBe(2);
    expect(release.analysis.lastValue).toBe('no data');
    expect(paused.status.phase).not.toBe('Degraded');
  });

  it('resumes a pause with the remaining time after a restart', async () => {
    // The pause must outlast the kill, the 3 s gap and the restart up to the first
    // reconcile, so that the restarted operator is still at the pause step when read.
    const pauseMs = 30_000;
    const canary = { steps: [{ setWeight: 20 }, { pause: { duration: `${pauseMs / 1000}s` } }, { setWeight: 100 }] };
    await apply(microservice('resume', 'ghcr.io/acme/inventory:1.0.0', canary));
    await waitRelease('resume', 'Idle', idleAndAvailable);
    await apply(microservice('resume', 'ghcr.io/acme/inventory:2.0.0', canary));
    const pausing = await waitRelease('resume', 'at the pause step', (release) => release.stepIndex === 1);
    const { stepStartedAt } = pausing.status.release;

    await operator.stop('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    operator = startOperator(operatorArgs());
    await waitFor('a reconcile of resume after the restart', async () =>
      operator.logs.some((line) => line.message === 'reconciled' && line.name === 'resume') ? true : undefined,
    );
    const resumed = await get('microservice', 'resume');
    expect(resumed.status.release.stepIndex).toBe(1);
    expect(resumed.status.release.stepStartedAt).toBe(stepStartedAt);

    const after = await waitRelease('resume', 'past the pause', (release) => (release.stepIndex ?? 0) >= 2 || release.phase === 'Promoted');
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(stepStartedAt) + pauseMs);
    expect(after.status.release.canaryRevision).toBe(pausing.status.release.canaryRevision);
  });

  it('restarts the release when the image changes mid-release', async () => {
    const canary = { steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 100 }] };
    await apply(microservice('restart', 'ghcr.io/acme/inventory:1.0.0', canary));
    await waitRelease('restart', 'Idle', idleAndAvailable);
    await apply(microservice('restart', 'ghcr.io/acme/inventory:2.0.0', canary));
    const paused = await waitRelease('restart', 'paused at step 1', (release) => release.phase === 'Paused' && release.stepIndex === 1);

    const next = microservice('restart', 'ghcr.io/acme/inventory:3.0.0', canary);
    const revision = await revisionFor(next);
    const pushedAt = Date.now();
    await apply(next);
    const restarted = await waitRelease('restart', 'new canary revision', (release) => release.canaryRevision === revision);
    expect(restarted.status.release.canaryRevision).not.toBe(paused.status.release.canaryRevision);
    expect(restarted.status.release.stepIndex).toBeLessThanOrEqual(1);
    // The operator records the Event after the status write, without waiting for it.
    const event = await waitFor('a ReleaseRestarted Event', async () =>
      (await events('restart')).find((candidate) => candidate.reason === 'ReleaseRestarted'),
    );
    expect(event.message).toContain(revision);

    // Step 0 again: the weight falls to 0 for the new canary before it rises to 20.
    const weightsAfter = await waitFor('weight 20 for the new revision', async () => {
      const seen = observations.filter((o) => o.kind === 'VirtualService' && o.name === 'restart' && o.at >= pushedAt).map((o) => o.weights?.canary);
      return seen.includes(20) ? seen : undefined;
    });
    expect(weightsAfter.indexOf(0)).toBeLessThan(weightsAfter.indexOf(20));
    expect(weightsAfter.indexOf(0)).toBeGreaterThanOrEqual(0);
  });

  it('routes to the canary only once its pods are available', async () => {
    // The quota admits the two stable pods and no more, so the canary pod cannot start.
    const quota = (pods: number) => ({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'pods', namespace: gatedNamespace }, spec: { hard: { pods: String(pods) } } });
    await apply(quota(2));
    const canary = { steps: [{ setWeight: 50 }, { setWeight: 100 }] };
    const gated = (image: string) => ({ ...microservice('gated', image, canary, gatedNamespace), spec: { ...microservice('gated', image, canary, gatedNamespace).spec, replicas: 2 } });
    await apply(gated('ghcr.io/acme/inventory:1.0.0'));
    await waitRelease('gated', 'Idle', (release, object) => release.phase === 'Idle' && object.status.availableReplicas === 2, 120_000, gatedNamespace);
    await apply(gated('ghcr.io/acme/inventory:2.0.0'));

    const waiting = await waitRelease('gated', 'waiting for canary pods', (release) => /waiting for 1 available canary pods/.test(release.message ?? ''), 120_000, gatedNamespace);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(waiting.status.release.weight).toBe(0);
    expect((await get('microservice', 'gated', gatedNamespace)).status.release.weight).toBe(0);

    await apply(quota(10));
    // After the quota rises, the ReplicaSet controller retries the canary pod only after
    // its backoff for the rejected creates, which grows while the quota holds. The
    // promotion then rolls the stable Deployment one pod at a time. On the 2-core machine
    // this was written on, with pods of earlier runs still being deleted, it took 89 s
    // in one measured run, and the whole test 139 s in another.
    await waitRelease('gated', 'Promoted', (release) => release.phase === 'Promoted', 240_000, gatedNamespace);
    const firstWeighted = observations.find((o) => o.kind === 'VirtualService' && o.name === 'gated' && (o.weights?.canary ?? 0) > 0);
    const firstAvailable = observations.find((o) => o.kind === 'Deployment' && o.name === 'gated-canary' && (o.available ?? 0) >= 1);
    expect(firstAvailable).toBeDefined();
    expect(firstWeighted).toBeDefined();
    // The two come from different watches, whose events can arrive out of order, so the
    // etcd revisions of the writes order them instead of the arrival times.
    expect(firstAvailable!.resourceVersion).toBeLessThan(firstWeighted!.resourceVersion);
  }, 420_000);

  it('keeps every observed weight valid', () => {
    const routes = observations.filter((o) => o.kind === 'VirtualService' && o.weights && Object.keys(o.weights).length > 0);
    expect(routes.length).toBeGreaterThan(10);
    for (const route of routes) {
      const weights = Object.values(route.weights!);
      expect(weights.every((weight) => Number.isInteger(weight) && weight >= 0 && weight <= 100), JSON.stringify(route)).toBe(true);
      expect(weights.reduce((sum, weight) => sum + weight, 0), JSON.stringify(route)).toBe(100);
    }
  });

  it('adds a subset before routing to it and removes it after', () => {
    for (const name of ['promo', 'faulty', 'dark', 'resume', 'restart', 'gated']) {
      // Sorted in the order of the writes, because the VirtualService and DestinationRule
      // watches can deliver two writes made milliseconds apart in either order.
      const history = observations
        .filter((o) => o.name === name && (o.kind === 'VirtualService' || o.kind === 'DestinationRule'))
        .sort((a, b) => a.resourceVersion - b.resourceVersion);
      let subsetLive = false;
      let routeLive = false;
      for (const o of history) {
        if (o.kind === 'DestinationRule') {
          subsetLive = o.subsets!.includes('canary');
          expect(subsetLive || !routeLive, `${name}: subset removed while routed`).toBe(true);
        } else {
          routeLive = 'canary' in o.weights!;
          expect(!routeLive || subsetLive, `${name}: routed before the subset existed`).toBe(true);
        }
      }
    }
  });
});

describe('release commands', { timeout: 300_000 }, () => {
  const canary = { steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 100 }] };
  const cli = async (...argv: string[]) => {
    let stdout = '';
    let stderr = '';
    const code = await runReleaseCommand([...argv, '-n', namespace, '--kubeconfig', KUBECONFIG], {
      stdout: (text) => (stdout += text),
      stderr: (text) => (stderr += text),
    });
    return { code, stdout, stderr };
  };

  it('shows a paused release', async () => {
    await apply(microservice('manual', 'ghcr.io/acme/inventory:1.0.0', canary));
    await waitRelease('manual', 'Idle', idleAndAvailable);
    await apply(microservice('manual', 'ghcr.io/acme/inventory:2.0.0', canary));
    await waitRelease('manual', 'paused at step 2', (release) => release.phase === 'Paused' && release.stepIndex === 1);

    const { code, stdout } = await cli('status', 'manual');
    expect(code).toBe(0);
    expect(stdout).toMatch(/Release\s+Paused \(PauseStep\)/);
    expect(stdout).toMatch(/\[#{8}\.{32}\]\s+20% to canary/);
    expect(stdout).toMatch(/✓ 1\. setWeight 20\n\s+▶ 2\. pause until promoted/);
  });

  it('promotes on command and clears the annotation', async () => {
    const { code, stdout } = await cli('promote', 'manual');
    expect(code).toBe(0);
    expect(stdout).toContain('requested "promote"');
    const promoted = await waitRelease('manual', 'Promoted', (release) => release.phase === 'Promoted', 150_000);
    expect(promoted.status.release.lastCommandId).toMatch(/^[0-9a-f-]{36}$/);
    const annotations = await waitFor('annotations cleared', async () => {
      const live = await get('microservice', 'manual');
      return live.metadata.annotations?.['flywheel.dev/release-command'] === undefined ? (live.metadata.annotations ?? {}) : undefined;
    });
    expect(annotations['flywheel.dev/release-command-id']).toBeUndefined();
  });

  it('redraws the status with --watch', async () => {
    const stop = new AbortController();
    let stdout = '';
    const io = { stdout: (text: string) => (stdout += text), stderr: () => undefined };
    const watching = runReleaseCommand(['status', 'manual', '--watch', '-n', namespace, '--kubeconfig', KUBECONFIG], io, { signal: stop.signal });
    const views = () => stdout.split('Microservice  ').length - 1;
    await waitFor('the first view', async () => (views() >= 1 ? true : undefined));
    await kubectlOk(['annotate', '--overwrite', 'microservice', 'manual', '-n', namespace, `flywheel.dev/test-touch=${Date.now()}`]);
    await waitFor('a redraw after the change', async () => (views() >= 2 ? true : undefined));
    stop.abort();
    expect(await watching).toBe(0);
    expect(stdout).toMatch(/Release\s+Promoted/);
  });

  it('rejects promote after promotion', async () => {
    await waitRelease('manual', 'Promoted', (release) => release.phase === 'Promoted', 150_000);
    const { code, stdout, stderr } = await cli('promote', 'manual');
    expect(code).toBe(1);
    expect(stderr).toContain(`cannot promote Microservice ${namespace}/manual: the release is Promoted`);
    expect(stdout).toBe('');
    const live = await get('microservice', 'manual');
    expect(live.metadata.annotations?.['flywheel.dev/release-command']).toBeUndefined();
  });

  it('reports a missing Microservice', async () => {
    const { code, stderr } = await cli('status', 'absent');
    expect(code).toBe(1);
    expect(stderr).toContain(`Microservice ${namespace}/absent not found`);
  });

  it('rejects an unknown command', async () => {
    const { code, stderr } = await cli('skip', 'manual');
    expect(code).toBe(2);
    expect(stderr).toContain('unknown command "skip"');
  });

  it('runs as a kubectl plugin', async () => {
    const bin = await mkdtemp(join(tmpdir(), 'flywheel-plugin-'));
    await symlink(`${REPO_ROOT}operator/src/cli/kubectl-flywheel.ts`, join(bin, 'kubectl-flywheel'));
    const env = { ...process.env, PATH: `${bin}:${dirname(process.execPath)}:${process.env.PATH}` };
    try {
      const stdout = await new Promise<string>((resolve, reject) => {
        execFile('kubectl', ['flywheel', 'status', 'manual', '-n', namespace, '--kubeconfig', KUBECONFIG], { env }, (error, out, err) =>
          error ? reject(new Error(`kubectl flywheel failed: ${err}`, { cause: error })) : resolve(out),
        );
      });
      expect(stdout).toMatch(/Release\s+Promoted/);
    } finally {
      await rm(bin, { recursive: true, force: true });
    }
  });
});

describe('canary validation', () => {
  const base = (release: Record<string, unknown>) => ({
    ...microservice('invalid', 'ghcr.io/acme/inventory:1.0.0', {}),
    spec: { image: 'ghcr.io/acme/inventory:1.0.0', release },
  });
  const metric = { name: 'm', query: 'up', successCondition: { max: 1 } };
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['preset and steps', { strategy: 'Canary', canary: { preset: 'AllAtOnce', steps: [{ setWeight: 10 }] } }, /set exactly one of preset or steps/],
    ['neither preset nor steps', { strategy: 'Canary', canary: {} }, /set exactly one of preset or steps/],
    ['unknown preset', { strategy: 'Canary', canary: { preset: 'Canary50Percent1Minute' } }, /preset: Unsupported value/],
    ['weight above 100', { strategy: 'Canary', canary: { steps: [{ setWeight: 101 }] } }, /setWeight: Invalid value: 101/],
    ['step with two actions', { strategy: 'Canary', canary: { steps: [{ setWeight: 10, pause: {} }] } }, /set exactly one of setWeight, pause or analysis/],
    ['invalid pause duration', { strategy: 'Canary', canary: { steps: [{ pause: { duration: '5 minutes' } }] } }, /duration: Invalid value/],
    ['analysis step without analysis', { strategy: 'Canary', canary: { steps: [{ analysis: {} }] } }, /an analysis step needs canary.analysis/],
    [
      'unknown query placeholder',
      { strategy: 'Canary', canary: { preset: 'AllAtOnce', analysis: { interval: '1m', failureLimit: 0, inconclusiveLimit: 0, metrics: [{ ...metric, query: 'up{pod="{{pod}}"}' }] } } },
      /only the placeholders/,
    ],
    [
      'condition without bounds',
      { strategy: 'Canary', canary: { preset: 'AllAtOnce', analysis: { interval: '1m', failureLimit: 0, inconclusiveLimit: 0, metrics: [{ ...metric, successCondition: {} }] } } },
      /set min, max or both/,
    ],
    ['canary strategy without canary', { strategy: 'Canary' }, /strategy Canary needs the canary field/],
  ];

  it.each(cases)('rejects %s', async (_name, release, message) => {
    const result = await kubectl(['apply', '--dry-run=server', '-f', '-'], JSON.stringify(base(release)));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(message);
  });

  it('accepts the ECS preset spelling', async () => {
    const result = await kubectl(['apply', '--dry-run=server', '-f', '-'], JSON.stringify(base({ strategy: 'Canary', canary: { preset: 'Linear10PercentEvery1Minutes' } })));
    expect(result.stderr).toBe('');
  });
});
