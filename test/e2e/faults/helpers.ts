/**
 * Helpers of the fault tests: operators with metrics and probes on free ports, metric
 * scraping, bulk Microservice creation, and the convergence check every fault test ends
 * with (each Microservice Ready, for its current generation).
 */
import { kubectl, kubectlJson, kubectlOk, startOperator, waitFor, type OperatorProcess } from '../harness.ts';

export interface OperatorUrls {
  /** Full URL of /metrics. */
  metrics: string;
  /** Base URL of the probe server. */
  probes: string;
}

/** Starts an operator with metrics and probes on free ports of 127.0.0.1. */
export function startObservedOperator(args: string[], env: NodeJS.ProcessEnv = {}): OperatorProcess {
  return startOperator(['--metrics-bind-address', '127.0.0.1:0', '--health-probe-bind-address', '127.0.0.1:0', ...args], env);
}

/** Reads the bound URLs from the operator's start-up log lines. */
export function operatorUrls(operator: OperatorProcess): Promise<OperatorUrls> {
  return waitFor('the operator to log its metrics and probe URLs', async () => {
    const metrics = operator.logs.find((line) => line.message === 'serving metrics')?.url;
    const probes = operator.logs.find((line) => line.message === 'serving health probes')?.url;
    return typeof metrics === 'string' && typeof probes === 'string' ? { metrics, probes } : undefined;
  });
}

/** Waits until the operator logs a line matching `predicate`, and returns it. */
export function waitForLog(
  operator: OperatorProcess,
  what: string,
  predicate: (line: Record<string, unknown>) => boolean,
  timeoutMs = 60_000,
): Promise<Record<string, unknown>> {
  return waitFor(what, async () => operator.logs.find(predicate), timeoutMs, 100);
}

export async function scrape(url: string): Promise<string> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} returned ${response.status}`);
  return response.text();
}

/**
 * Returns the sum of the samples of `name` whose labels include `labels`, or undefined
 * when there is none. Parses the Prometheus text format, enough for prom-client output.
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, key, value]) => [key, value]));
    if (Object.entries(labels).every(([key, value]) => present[key] === value)) total = (total ?? 0) + Number(match[3]);
  }
  return total;
}

/** Returns a small Microservice manifest; one replica keeps the load on kwok and the scheduler low. */
export function microservice(namespace: string, name: string, image = 'ghcr.io/acme/orders:1.0.0', replicas = 1): Record<string, unknown> {
  return {
    apiVersion: 'flywheel.dev/v1alpha1',
    kind: 'Microservice',
    metadata: { name, namespace },
    spec: { image, replicas, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  };
}

/** Applies objects in one kubectl call, as a List. */
export async function applyAll(objects: unknown[]): Promise<void> {
  await kubectlOk(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
}

export interface MicroserviceState {
  metadata: { name: string; generation?: number; uid: string };
  status?: {
    phase?: string;
    observedGeneration?: number;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  };
}

export const listMicroservices = async (namespace: string): Promise<MicroserviceState[]> =>
  (await kubectlJson<{ items: MicroserviceState[] }>(['get', 'microservices', '-n', namespace])).items;

export const isConverged = (object: MicroserviceState): boolean =>
  object.status?.observedGeneration === object.metadata.generation &&
  object.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') === true;

/**
 * Waits until `names` all exist in `namespace` and are Ready for their current
 * generation; returns them. The timeout message names the ones still missing.
 */
export async function waitConverged(namespace: string, names: string[], timeoutMs = 120_000): Promise<MicroserviceState[]> {
  let pending: string[] = names;
  try {
    return await waitFor(
      `${names.length} Microservices in ${namespace} to be Ready`,
      async () => {
        const live = new Map((await listMicroservices(namespace)).map((object) => [object.metadata.name, object]));
        pending = names.filter((name) => {
          const object = live.get(name);
          return !object || !isConverged(object);
        });
        return pending.length === 0 ? names.map((name) => live.get(name)!) : undefined;
      },
      timeoutMs,
      1_000,
    );
  } catch (error) {
    throw new Error(`${pending.length} not converged, first: ${pending.slice(0, 5).join(', ')}`, { cause: error });
  }
}

/** Names of the Deployments in `namespace` with their metadata.generation. */
export async function deploymentGenerations(namespace: string): Promise<Map<string, number>> {
  const list = await kubectlJson<{ items: Array<{ metadata: { name: string; generation: number } }> }>(['get', 'deployments', '-n', namespace]);
  return new Map(list.items.map((item) => [item.metadata.name, item.metadata.generation]));
}

/** True while the process runs; kill -0 needs no permission beyond owning it. */
export function isRunning(operator: OperatorProcess): boolean {
  return operator.child.exitCode === null && operator.child.signalCode === null;
}

export interface LeaseState {
  holder?: string;
  transitions?: number;
  acquireTime?: string;
  renewTime?: string;
}

/** Returns the spec of a Lease, or undefined when it does not exist. */
export async function leaseHolder(namespace: string, name: string): Promise<LeaseState | undefined> {
  const result = await kubectl(['get', 'lease', name, '-n', namespace, '-o', 'json']);
  if (result.code !== 0) return undefined;
  const spec = (JSON.parse(result.stdout) as { spec?: { holderIdentity?: string; leaseTransitions?: number; acquireTime?: string; renewTime?: string } }).spec ?? {};
  return { holder: spec.holderIdentity, transitions: spec.leaseTransitions, acquireTime: spec.acquireTime, renewTime: spec.renewTime };
}

/** Returns the identity the operator logged when it started competing for the Lease. */
export function identityOf(operator: OperatorProcess): string | undefined {
  const line = operator.logs.find((entry) => entry.message === 'attempting to acquire leader lease');
  return typeof line?.identity === 'string' ? line.identity : undefined;
}

/** Milliseconds since the epoch of a log line's timestamp. */
export const timeOf = (line: Record<string, unknown>): number => Date.parse(String(line.timestamp));
