/**
 * Canary releases without the mesh, end to end. With `--mesh false` the operator renders
 * no Istio objects and approximates the canary weight by pod counts: the canary
 * Deployment runs ceil(total × weight / 100) pods, at least 1, and the stable one
 * ceil(total × (100 − weight) / 100). These tests check that split at each pause, the
 * promotion, an abort, and the pods available to the Service throughout. kwok makes the
 * pods Running and Ready, so availability is real, but no pod serves requests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Microservice } from '../../cdk8s/src/api/microservice.ts';
import type { ReleaseStatus } from '../../cdk8s/src/api/release.ts';
import { APP_CONTAINER, TRACK_LABEL } from '../../cdk8s/src/context.ts';
import { canaryName } from '../../cdk8s/src/release/state.ts';
import { runReleaseCommand } from '../../operator/src/cli/release.ts';
import { isConverged, type MicroserviceState } from './faults/helpers.ts';
import {
  KUBECONFIG,
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

const NAME = 'split';
const CANARY = canaryName(NAME);
const TOTAL = 4;
const IMAGES = ['ghcr.io/acme/inventory:1.0.0', 'ghcr.io/acme/inventory:2.0.0', 'ghcr.io/acme/inventory:3.0.0'] as const;
// Most waits include pod starts, and kube-controller-manager lags on a loaded 2-core machine.
const WAIT_MS = 150_000;

interface LiveDeployment {
  metadata: { name: string; generation?: number };
  spec: { replicas?: number; template: { spec: { containers: Array<{ name: string; image: string }> } } };
  status?: { observedGeneration?: number; replicas?: number; updatedReplicas?: number; availableReplicas?: number };
}

/** One Deployment watch event: spec.replicas and status.availableReplicas, 0 after a delete. */
interface DeploymentChange {
  type: string;
  name: string;
  replicas: number;
  available: number;
}

let namespace: string;
let operator: OperatorProcess;
let watchEnded = false;
/** Every Deployment change in the namespace, in the order of the etcd writes, because one watch delivers them. */
const changes: DeploymentChange[] = [];
const watches = new AbortController();

const microservice = (image: string) => ({
  apiVersion: 'flywheel.dev/v1alpha1',
  kind: 'Microservice',
  metadata: { name: NAME, namespace },
  spec: {
    image,
    replicas: TOTAL,
    ports: [{ name: 'http', port: 80, targetPort: 8080 }],
    release: {
      strategy: 'Canary',
      canary: {
        steps: [{ setWeight: 25 }, { pause: {} }, { setWeight: 50 }, { pause: {} }],
        scaleDownDelaySeconds: 2,
        abortScaleDownDelaySeconds: 2,
      },
    },
  },
});

async function applyImage(image: string): Promise<void> {
  await kubectlOk(['apply', '-f', '-'], JSON.stringify(microservice(image)));
}

async function tryGetDeployment(name: string): Promise<LiveDeployment | undefined> {
  const result = await kubectl(['get', 'deployment', name, '-n', namespace, '-o', 'json']);
  return result.code === 0 ? (JSON.parse(result.stdout) as LiveDeployment) : undefined;
}

const imageOf = (deployment: LiveDeployment) => deployment.spec.template.spec.containers.find((container) => container.name === APP_CONTAINER)?.image;

/** Runs `flywheel release COMMAND NAME` in this process, as a user would from a shell. */
async function release(command: string): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const io = { stdout: () => undefined, stderr: (text: string) => (stderr += text) };
  const code = await runReleaseCommand([command, NAME, '-n', namespace, '--kubeconfig', KUBECONFIG], io);
  return { code, stderr };
}

/** Waits until the release status passes `check`. A timeout reports the last status. */
async function waitRelease(what: string, check: (status: ReleaseStatus) => boolean): Promise<Microservice> {
  let last: ReleaseStatus | undefined;
  try {
    return await waitFor(`${NAME}: ${what}`, async () => {
      const object = await kubectlJson<Microservice>(['get', 'microservice', NAME, '-n', namespace]);
      last = object.status?.release;
      return last && check(last) ? object : undefined;
    }, WAIT_MS, 200);
  } catch (error) {
    throw new Error(`${(error as Error).message}; last release status: ${JSON.stringify(last)}`, { cause: error });
  }
}

/**
 * Waits until Deployment `name` wants `replicas` pods and its controller has finished: the
 * latest spec observed, every pod updated and available, no old pod left. A timeout
 * reports the last spec.replicas and status.
 */
async function waitSettled(name: string, replicas: number): Promise<LiveDeployment> {
  let last: LiveDeployment | undefined;
  try {
    return await waitFor(`${name} settled at ${replicas} pods`, async () => {
      last = await tryGetDeployment(name);
      const status = last?.status ?? {};
      const settled =
        last?.spec.replicas === replicas &&
        (status.observedGeneration ?? 0) >= (last.metadata.generation ?? 0) &&
        (status.replicas ?? 0) === replicas &&
        (status.updatedReplicas ?? 0) === replicas &&
        (status.availableReplicas ?? 0) === replicas;
      return settled ? last : undefined;
    }, WAIT_MS, 500);
  } catch (error) {
    throw new Error(`${(error as Error).message}; last spec.replicas ${last?.spec.replicas}, status ${JSON.stringify(last?.status)}`, { cause: error });
  }
}

/** Waits until the watch has seen the canary Deployment deleted after change number `from`. */
async function waitCanaryDeleted(from: number): Promise<DeploymentChange[]> {
  return waitFor(`${CANARY} deleted`, async () => {
    const history = changes.slice(from).filter((change) => change.name === CANARY);
    return history.some((change) => change.type === 'DELETED') ? history : undefined;
  }, WAIT_MS, 500);
}

/** Available pods of both tracks together after each change from number `from` on. */
function availableSums(from: number): number[] {
  const available = new Map<string, number>();
  const sums: number[] = [];
  changes.forEach((change, index) => {
    available.set(change.name, change.available);
    if (index >= from) sums.push((available.get(NAME) ?? 0) + (available.get(CANARY) ?? 0));
  });
  return sums;
}

function recordDeploymentChanges(): void {
  void kubeClient()
    .watch<LiveDeployment>(`/apis/apps/v1/namespaces/${namespace}/deployments`, {}, (event) => {
      if (event.type === 'BOOKMARK') return;
      const deleted = event.type === 'DELETED';
      changes.push({
        type: event.type,
        name: event.object.metadata.name,
        replicas: deleted ? 0 : (event.object.spec.replicas ?? 0),
        available: deleted ? 0 : (event.object.status?.availableReplicas ?? 0),
      });
    }, watches.signal)
    .catch(() => undefined)
    .finally(() => (watchEnded = true));
}

beforeAll(async () => {
  await applyCrd();
  namespace = await createNamespace('canary-replicas');
  recordDeploymentChanges();
  operator = startOperator(['--namespaces', namespace, '--mesh', 'false', '--log-level', 'debug']);
});

afterAll(async () => {
  watches.abort();
  await operator?.stop();
  if (namespace) await deleteNamespace(namespace);
});

describe('canary release without mesh', { timeout: 300_000 }, () => {
  /** Index into `changes` where the promoted release began. */
  let promotedFrom = 0;
  /** Index into `changes` where the abort command was sent. */
  let abortedFrom = 0;

  it('starts on four stable pods', async () => {
    await applyImage(IMAGES[0]);
    await waitFor(`${NAME} Ready`, async () => {
      const object = await kubectlJson<MicroserviceState>(['get', 'microservice', NAME, '-n', namespace]);
      return isConverged(object) ? object : undefined;
    }, WAIT_MS, 500);

    const stable = await waitSettled(NAME, TOTAL);
    expect(imageOf(stable)).toBe(IMAGES[0]);
    expect(await tryGetDeployment(CANARY)).toBeUndefined();
  });

  it('splits pods one to three at 25%', async () => {
    promotedFrom = changes.length;
    await applyImage(IMAGES[1]);
    const paused = await waitRelease('paused at step 2', (status) => status.phase === 'Paused' && status.stepIndex === 1);
    expect(paused.status?.release?.weight).toBe(25);
    expect(paused.status?.release?.canaryReplicas).toBe(1);
    expect(paused.status?.release?.trafficSplit).toBe('Replicas');

    const canary = await waitSettled(CANARY, 1);
    expect(canary.status?.availableReplicas).toBe(1);
    expect(imageOf(canary)).toBe(IMAGES[1]);

    const stable = await waitSettled(NAME, 3);
    expect(stable.status?.availableReplicas).toBe(3);
    expect(imageOf(stable)).toBe(IMAGES[0]);
  });

  it('renders no Istio objects', async () => {
    const istio = await kubectlOk(['get', 'virtualservices,destinationrules', '-n', namespace, '-o', 'name']);
    expect(istio.trim()).toBe('');
  });

  it('selects both tracks in Service', async () => {
    const service = await kubectlJson<{ spec: { selector: Record<string, string> } }>(['get', 'service', NAME, '-n', namespace]);
    expect(service.spec.selector[TRACK_LABEL]).toBeUndefined();
  });

  it('splits pods two to two at 50%', async () => {
    // "promote" would skip every remaining step, so "resume" ends the first pause step.
    const resumed = await release('resume');
    expect(resumed.code, resumed.stderr).toBe(0);
    const paused = await waitRelease('paused at step 4', (status) => status.phase === 'Paused' && status.stepIndex === 3);
    expect(paused.status?.release?.weight).toBe(50);
    expect(paused.status?.release?.canaryReplicas).toBe(2);

    const canary = await waitSettled(CANARY, 2);
    expect(canary.status?.availableReplicas).toBe(2);
    expect(imageOf(canary)).toBe(IMAGES[1]);

    const stable = await waitSettled(NAME, 2);
    expect(stable.status?.availableReplicas).toBe(2);
    expect(imageOf(stable)).toBe(IMAGES[0]);
  });

  it('promotes new image to stable', async () => {
    const promoted = await release('promote');
    expect(promoted.code, promoted.stderr).toBe(0);
    const done = await waitRelease('Promoted', (status) => status.phase === 'Promoted');
    expect(done.status?.release?.stableRevision).toBe(done.status?.release?.canaryRevision);
    expect(done.status?.release?.weight).toBe(0);

    const stable = await waitSettled(NAME, TOTAL);
    expect(stable.status?.availableReplicas).toBe(TOTAL);
    expect(imageOf(stable)).toBe(IMAGES[1]);
  });

  it('removes canary after scale-down delay', async () => {
    // The operator scales the canary to 0 at scaleDownAt and deletes it once its pods are gone.
    const history = await waitCanaryDeleted(promotedFrom);
    const beforeDelete = history.filter((change) => change.type !== 'DELETED').at(-1);
    expect(beforeDelete?.replicas).toBe(0);
    expect(await tryGetDeployment(CANARY)).toBeUndefined();

    const settled = await waitRelease('scale-down done', (status) => status.scaleDownAt === undefined);
    expect(settled.status?.release?.phase).toBe('Promoted');
    expect(settled.status?.release?.canaryReplicas).toBe(0);
  });

  it('aborts release at first pause', async () => {
    await applyImage(IMAGES[2]);
    await waitRelease('paused at step 2', (status) => status.phase === 'Paused' && status.stepIndex === 1);
    await waitSettled(CANARY, 1);
    await waitSettled(NAME, 3);

    abortedFrom = changes.length;
    const aborted = await release('abort');
    expect(aborted.code, aborted.stderr).toBe(0);
    const done = await waitRelease('Aborted', (status) => status.phase === 'Aborted');
    expect(done.status?.release?.weight).toBe(0);
    expect(done.status?.phase).toBe('Degraded');

    const stable = await waitSettled(NAME, TOTAL);
    expect(stable.status?.availableReplicas).toBe(TOTAL);
    expect(imageOf(stable)).toBe(IMAGES[1]);

    const history = await waitCanaryDeleted(abortedFrom);
    const beforeDelete = history.filter((change) => change.type !== 'DELETED').at(-1);
    expect(beforeDelete?.replicas).toBe(0);
    expect(await tryGetDeployment(CANARY)).toBeUndefined();
  });

  it('keeps pods available throughout', () => {
    expect(watchEnded, 'the Deployment watch ended early, so changes may be missing').toBe(false);
    const sums = availableSums(promotedFrom);
    const beforeAbort = sums.slice(0, abortedFrom - promotedFrom);
    const afterAbort = sums.slice(abortedFrom - promotedFrom);
    // Until the abort, the canary's pods become available before the stable track shrinks,
    // and a promotion keeps the canary until the stable rollout is available.
    expect(beforeAbort.length).toBeGreaterThan(0);
    expect(Math.min(...beforeAbort)).toBeGreaterThanOrEqual(TOTAL);
    // After an abort, the canary keeps its pods until the stable track is back at all of its own.
    expect(afterAbort.length).toBeGreaterThan(0);
    expect(Math.min(...afterAbort)).toBeGreaterThanOrEqual(TOTAL);
  });
});
