/**
 * Set-up and clean-up on the benchmark's cluster: the CRD, throwaway namespaces, and
 * enough fake-node capacity for the pods of the largest run.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { KubeClient } from '../operator/src/kube/client.ts';
import { isNotFound, isRetriable } from '../operator/src/kube/errors.ts';
import { sleep } from './operator-process.ts';

const execFileAsync = promisify(execFile);

/** Label on everything the benchmark creates, so leftovers can be found and removed. */
export const BENCH_LABEL = 'flywheel.dev/bench';
/** Pods one benchmark node accepts; kwok runs no containers, so the number is arbitrary. */
const BENCH_NODE_PODS = 500;
const NAMESPACE_POLL_MS = 1_000;
/** How long the benchmark's own requests are retried while the API server is unreachable or overloaded. */
const RETRY_FOR_MS = 120_000;

interface NodeList {
  items: Array<{ metadata: { name: string }; status?: { allocatable?: { pods?: string }; conditions?: Array<{ type: string; status: string }> } }>;
}

interface CountedList {
  items: unknown[];
  metadata: { remainingItemCount?: number };
}

export async function kubernetesVersion(client: KubeClient): Promise<string> {
  const version = await client.request<{ gitVersion: string }>('GET', '/version');
  return version.gitVersion;
}

/** Applies the generated Microservice CRD the way the end-to-end tests do, and waits until it is served. */
export async function applyCrd(kubeconfig: string, repoRoot: string): Promise<void> {
  const kubectl = (args: string[]) => execFileAsync('kubectl', ['--kubeconfig', kubeconfig, ...args]);
  try {
    await kubectl(['apply', '--server-side', '--force-conflicts', '-f', `${repoRoot}crds/microservices.flywheel.dev.yaml`]);
    await kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/microservices.flywheel.dev']);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`failed to install the Microservice CRD: ${stderr.trim() || String(error)}; is kubectl on PATH?`, { cause: error });
  }
}

/** Creates a namespace and waits for its default ServiceAccount, without which pods are rejected. */
export async function createNamespace(client: KubeClient, prefix: string): Promise<string> {
  const name = `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
  await client.request('POST', '/api/v1/namespaces', {
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { [BENCH_LABEL]: 'true' } } },
  });
  for (let attempt = 0; ; attempt += 1) {
    try {
      await client.request('GET', `/api/v1/namespaces/${name}/serviceaccounts/default`);
      return name;
    } catch (error) {
      if (!isNotFound(error)) throw error;
      if (attempt >= 600) {
        throw new Error(`ServiceAccount ${name}/default not created after 60 s; is kube-controller-manager running?`, { cause: error });
      }
      await sleep(100);
    }
  }
}

/**
 * Kinds deleted with one deletecollection each before the namespace itself. Left to the
 * namespace controller, pods wait out their grace period and dependents go through the
 * garbage collector, both behind kube-controller-manager's client-side rate limit; on the
 * local control plane that made clean-up slower than the measured runs. Children come
 * before the Microservices, so the garbage collector finds no dependents to delete.
 */
const PURGED: Array<{ path: string; body: Record<string, unknown> }> = [
  { path: '/apis/apps/v1/namespaces/NS/deployments', body: { propagationPolicy: 'Background' } },
  { path: '/apis/apps/v1/namespaces/NS/replicasets', body: { propagationPolicy: 'Background' } },
  { path: '/api/v1/namespaces/NS/pods', body: { propagationPolicy: 'Background', gracePeriodSeconds: 0 } },
  { path: '/apis/flywheel.dev/v1alpha1/namespaces/NS/microservices', body: { propagationPolicy: 'Background' } },
];

/**
 * Deletes a namespace and waits until it is gone; returns the seconds that took. Stop the
 * operator first, or it re-creates what this deletes.
 */
export async function deleteNamespace(client: KubeClient, name: string, timeoutMs: number): Promise<number> {
  const startedAt = performance.now();
  try {
    for (const { path, body } of PURGED) {
      // A deletecollection of thousands of objects outlasts the client's usual request timeout.
      await client.request('DELETE', path.replace('NS', name), {
        body: { apiVersion: 'v1', kind: 'DeleteOptions', ...body },
        signal: AbortSignal.timeout(timeoutMs),
      });
    }
    await client.request('DELETE', `/api/v1/namespaces/${name}`);
  } catch (error) {
    if (isNotFound(error)) return 0;
    throw error;
  }
  for (;;) {
    try {
      await client.request('GET', `/api/v1/namespaces/${name}`);
    } catch (error) {
      if (isNotFound(error)) return (performance.now() - startedAt) / 1000;
      throw error;
    }
    if (performance.now() - startedAt > timeoutMs) {
      throw new Error(`namespace ${name} still terminating after ${timeoutMs / 1000} s; check kube-controller-manager's log`);
    }
    await sleep(NAMESPACE_POLL_MS);
  }
}

/**
 * Adds fake nodes until the cluster can schedule `extraPods` more pods. kwok manages any
 * node annotated kwok.x-k8s.io/node=fake (the selector hack/cluster-up.sh gives it).
 * The nodes stay after the run, because other users' pods may already run on them;
 * `kubectl delete node -l flywheel.dev/bench=true` removes them.
 */
export async function ensurePodCapacity(client: KubeClient, extraPods: number): Promise<number> {
  const nodes = await client.request<NodeList>('GET', '/api/v1/nodes');
  const capacity = nodes.items.reduce((sum, node) => sum + Number(node.status?.allocatable?.pods ?? 0), 0);
  const pods = await client.request<CountedList>('GET', '/api/v1/pods', { query: { limit: 1 } });
  const used = pods.items.length + (pods.metadata.remainingItemCount ?? 0);
  const missing = used + extraPods - capacity;
  if (missing <= 0) return 0;

  const existing = new Set(nodes.items.map((node) => node.metadata.name));
  const added: string[] = [];
  for (let index = 0; added.length * BENCH_NODE_PODS < missing; index += 1) {
    const name = `flywheel-bench-node-${index}`;
    if (existing.has(name)) continue;
    await client.request('POST', '/api/v1/nodes', { body: benchNode(name) });
    added.push(name);
  }
  await waitForNodesReady(client, added);
  return added.length;
}

function benchNode(name: string) {
  const resources = { cpu: '64', memory: '512Gi', pods: String(BENCH_NODE_PODS) };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: { type: 'kwok', [BENCH_LABEL]: 'true', 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' },
    },
    status: { allocatable: resources, capacity: resources },
  };
}

async function waitForNodesReady(client: KubeClient, names: string[]): Promise<void> {
  const deadline = performance.now() + 60_000;
  for (;;) {
    const nodes = await client.request<NodeList>('GET', '/api/v1/nodes');
    const ready = new Set(
      nodes.items
        .filter((node) => node.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True'))
        .map((node) => node.metadata.name),
    );
    const waiting = names.filter((name) => !ready.has(name));
    if (waiting.length === 0) return;
    if (performance.now() > deadline) {
      throw new Error(`fake nodes ${waiting.join(', ')} not Ready after 60 s; is kwok running (see .flywheel/logs/kwok.log)?`);
    }
    await sleep(500);
  }
}

/**
 * Runs `request`, retrying errors that isRetriable() accepts (unreachable, 429, 5xx) for
 * up to RETRY_FOR_MS. Other users of a shared local control plane restart its API server
 * now and then, and one failed create should not end a twenty-minute benchmark.
 */
export async function retrying<T>(request: () => Promise<T>): Promise<T> {
  const deadline = performance.now() + RETRY_FOR_MS;
  for (let delay = 250; ; delay = Math.min(delay * 2, 5_000)) {
    try {
      return await request();
    } catch (error) {
      if (!isRetriable(error) || performance.now() + delay > deadline) throw error;
      await sleep(delay);
    }
  }
}

/** Runs `task` for indexes 0 to count-1 with at most `concurrency` running at once. */
export async function runPool(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next;
      next += 1;
      await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}
