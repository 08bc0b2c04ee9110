/**
 * The chart's RBAC, enforced by the API server. The operator runs with a token of the
 * ServiceAccount that charts/flywheel creates, bound only by the chart's Roles, so the
 * RBAC authorizer checks every call of the lifecycle below. A recording proxy between
 * the operator and the API server lists those calls, which are compared with the rules
 * in both directions. Removing one rule must then break a scenario, which shows that the
 * check can fail. The same run checks that `flywheel synth` writes exactly the objects
 * the operator applied.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { runSynthCommand } from '../../operator/src/cli/synth.ts';
import { isSubset } from '../../operator/src/kube/compare.ts';
import { loadClusterConnection } from '../../operator/src/kube/kubeconfig.ts';
import { CONFIG_HASH_ANNOTATION } from '../../operator/src/microservice/desired.ts';
import { requestAttributes, rulesAllow } from '../../operator/src/rbac/authorize.ts';
import { operatorPermissions, type PolicyRule } from '../../operator/src/rbac/rules.ts';
import {
  KUBECONFIG,
  REPO_ROOT,
  applyCrd,
  createNamespace,
  deleteNamespace,
  kubectl,
  kubectlJson,
  kubectlOk,
  startOperator,
  waitFor,
  type OperatorProcess,
} from './harness.ts';

interface LiveObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    uid: string;
    generation?: number;
    labels?: Record<string, string>;
    ownerReferences?: unknown[];
    managedFields?: Array<{ manager: string; operation: string; fieldsV1?: Record<string, unknown> }>;
  };
  spec?: any;
  status?: any;
}

interface RecordedCall {
  method: string;
  url: string;
  status: number;
}

const CHART = `${REPO_ROOT}charts/flywheel`;
const OWNED_KINDS = 'deployments,services,serviceaccounts,configmaps,horizontalpodautoscalers,poddisruptionbudgets,destinationrules,virtualservices';

let systemNamespace: string;
let namespace: string;
let release: string;
let serviceAccount: string;
let rbacManifest: string;
let operatorKubeconfig: string;
let workDirectory: string;
let proxy: RecordingProxy;
let operator: OperatorProcess;

function helmBinary(): string {
  const bin = execFileSync('bash', [`${REPO_ROOT}hack/build-control-plane.sh`], { encoding: 'utf8' }).trim();
  return join(bin, 'helm');
}

const microservice = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'flywheel.dev/v1alpha1',
  kind: 'Microservice',
  metadata: { name, namespace },
  spec: {
    ports: [{ name: 'http', port: 80, targetPort: 8080 }],
    probes: { readiness: { http: { path: '/readyz', port: 'http' } } },
    ...spec,
  },
});

const apply = (object: unknown) => kubectlOk(['apply', '--server-side', '--field-manager', 'rbac-test', '--force-conflicts', '-f', '-'], JSON.stringify(object));

const tryGet = async (kind: string, name: string): Promise<LiveObject | undefined> => {
  const result = await kubectl(['get', kind, name, '-n', namespace, '-o', 'json']);
  return result.code === 0 ? (JSON.parse(result.stdout) as LiveObject) : undefined;
};

const get = async (kind: string, name: string): Promise<LiveObject> => {
  const object = await tryGet(kind, name);
  if (!object) throw new Error(`${kind} ${namespace}/${name} not found`);
  return object;
};

async function ownedObjects(name: string): Promise<LiveObject[]> {
  const list = await kubectlJson<{ items: LiveObject[] }>(['get', OWNED_KINDS, '-n', namespace, '-l', `flywheel.dev/microservice=${name}`]);
  return list.items;
}

/** Time for pods to turn Ready; the shared control plane's controllers can lag minutes behind under load. */
const READY_TIMEOUT_MS = 150_000;

async function waitReady(name: string): Promise<LiveObject> {
  return waitFor(`Microservice ${name} Ready`, async () => {
    const object = await get('microservice', name);
    const ready = (object.status?.conditions ?? []).find((condition: { type: string }) => condition.type === 'Ready');
    const current = object.status?.observedGeneration === object.metadata.generation;
    return ready?.status === 'True' && current ? object : undefined;
  }, READY_TIMEOUT_MS);
}

/** Asks the API server's authorizer whether the chart ServiceAccount may do `verb` on `resource`. */
async function chartAccountCan(verb: string, resource: string, inNamespace?: string): Promise<boolean> {
  const scope = inNamespace ? ['-n', inNamespace] : [];
  const result = await kubectl(['auth', 'can-i', verb, resource, ...scope, '--as', `system:serviceaccount:${systemNamespace}:${serviceAccount}`]);
  return result.stdout.trim() === 'yes';
}

/**
 * Waits until the authorizer decides `verb` on `resource` as `allowed`. It learns of
 * RBAC changes from a watch, so a change is not in effect at once.
 */
async function waitAuthorized(verb: string, resource: string, inNamespace: string | undefined, allowed: boolean): Promise<void> {
  await waitFor(`RBAC to ${allowed ? 'allow' : 'deny'} ${verb} ${resource}`, async () =>
    (await chartAccountCan(verb, resource, inNamespace)) === allowed ? true : undefined,
  60_000);
}

const forbiddenLines = () =>
  operator.logs.filter((line) => /\b403\b|forbidden/i.test(JSON.stringify(line)));

// --- Recording proxy -------------------------------------------------------------

interface RecordingProxy {
  url: string;
  calls: RecordedCall[];
  close(): Promise<void>;
}

/**
 * A plain HTTP listener on 127.0.0.1 that forwards every request, with the caller's
 * bearer token, to the API server over TLS and records method, URL and status. Watches
 * stream through unchanged.
 */
async function startRecordingProxy(): Promise<RecordingProxy> {
  const cluster = loadClusterConnection(KUBECONFIG);
  if (!cluster.tls.ca) throw new Error(`${KUBECONFIG} has no certificate authority for its current cluster`);
  const upstream = new URL(cluster.server);
  const { ca } = cluster.tls;
  const calls: RecordedCall[] = [];

  const server: Server = createServer((incoming, outgoing) => {
    const forward = httpsRequest(
      {
        hostname: upstream.hostname,
        port: upstream.port,
        path: incoming.url,
        method: incoming.method,
        headers: { ...incoming.headers, host: upstream.host },
        ca,
      },
      (response) => {
        calls.push({ method: incoming.method ?? '', url: incoming.url ?? '', status: response.statusCode ?? 0 });
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(outgoing);
      },
    );
    forward.on('error', (error) => {
      if (!outgoing.headersSent) outgoing.writeHead(502);
      outgoing.end(`proxy: ${error.message}`);
    });
    outgoing.on('close', () => forward.destroy());
    incoming.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('recording proxy has no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    calls,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// --- Set-up ----------------------------------------------------------------------

async function installChartRbac(): Promise<void> {
  rbacManifest = execFileSync(
    helmBinary(),
    ['template', release, CHART, '--namespace', systemNamespace, '--show-only', 'templates/serviceaccount.yaml', '--show-only', 'templates/rbac.yaml'],
    { encoding: 'utf8' },
  );
  await kubectlOk(['apply', '-f', '-'], rbacManifest);
}

async function writeOperatorKubeconfig(): Promise<void> {
  const token = (await kubectlOk(['create', 'token', serviceAccount, '-n', systemNamespace, '--duration', '2h'])).trim();
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'recording-proxy', cluster: { server: proxy.url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: serviceAccount, user: { token } }],
    contexts: [{ name: 'operator', context: { cluster: 'recording-proxy', user: serviceAccount } }],
    'current-context': 'operator',
  };
  operatorKubeconfig = join(workDirectory, 'operator.kubeconfig');
  await writeFile(operatorKubeconfig, JSON.stringify(config), { mode: 0o600 });
}

/**
 * Starts the operator as the chart runs it: leader election on a Lease in the release
 * namespace and authenticated metrics, on ports the system picks. A later --kubeconfig
 * wins over the harness's admin kubeconfig.
 */
const startChartOperator = () =>
  startOperator([
    '--namespaces', namespace,
    '--log-level', 'debug',
    '--leader-elect=true',
    '--leader-elect-resource-namespace', systemNamespace,
    '--leader-elect-resource-name', `${release}-flywheel`,
    '--metrics-auth=true',
    '--metrics-bind-address', '127.0.0.1:0',
    '--health-probe-bind-address', '127.0.0.1:0',
    '--kubeconfig', operatorKubeconfig,
  ]);

beforeAll(async () => {
  await applyCrd();
  workDirectory = await mkdtemp(join(tmpdir(), 'flywheel-rbac-'));
  systemNamespace = await createNamespace('rbac-system');
  namespace = await createNamespace('rbac');
  release = `rbac-${systemNamespace.slice(-6)}`;
  serviceAccount = `${release}-flywheel`;
  await installChartRbac();
  // One grant of each binding of the chart, so the operator gets no 403 only because the
  // bindings were too new.
  await waitAuthorized('watch', 'microservices.flywheel.dev', namespace, true);
  await waitAuthorized('create', 'leases.coordination.k8s.io', systemNamespace, true);
  await waitAuthorized('create', 'tokenreviews.authentication.k8s.io', undefined, true);
  proxy = await startRecordingProxy();
  await writeOperatorKubeconfig();
  operator = startChartOperator();
});

afterAll(async () => {
  await operator?.stop();
  await proxy?.close();
  if (rbacManifest) await kubectl(['delete', '--ignore-not-found', '--wait=false', '-f', '-'], rbacManifest);
  await deleteNamespace(namespace);
  await deleteNamespace(systemNamespace);
  if (workDirectory) await rm(workDirectory, { recursive: true, force: true });
});

// --- Scenarios -------------------------------------------------------------------

const FULL_SPEC = {
  image: 'ghcr.io/acme/orders:1.0.0',
  replicas: 2,
  resources: { requests: { cpu: '100m', memory: '64Mi' } },
  logging: { enabled: true },
};

describe('operator with the chart ServiceAccount', () => {
  it('creates every owned object', async () => {
    await apply(microservice('orders', FULL_SPEC));
    await waitReady('orders');
    const kinds = (await ownedObjects('orders')).map((object) => object.kind).sort();
    expect(kinds).toEqual(['ConfigMap', 'Deployment', 'DestinationRule', 'PodDisruptionBudget', 'Service', 'ServiceAccount', 'VirtualService']);
  });

  it('rolls out an image change', async () => {
    await apply(microservice('orders', { ...FULL_SPEC, image: 'ghcr.io/acme/orders:1.1.0' }));
    const deployment = await waitFor('the new image in the Deployment', async () => {
      const live = await get('deployment', 'orders');
      return live.spec.template.spec.containers[0].image === 'ghcr.io/acme/orders:1.1.0' ? live : undefined;
    });
    expect(deployment.spec.template.spec.containers[0].image).toBe('ghcr.io/acme/orders:1.1.0');
    await waitReady('orders');
  });

  it('reverts a hand edit', async () => {
    await kubectlOk(['set', 'image', '-n', namespace, 'deployment/orders', 'app=ghcr.io/evil/orders:6.6.6']);
    const reverted = await waitFor('the image to be restored', async () => {
      const live = await get('deployment', 'orders');
      return live.spec.template.spec.containers[0].image === 'ghcr.io/acme/orders:1.1.0' ? live : undefined;
    });
    expect(reverted.spec.template.spec.containers[0].image).toBe('ghcr.io/acme/orders:1.1.0');
  });

  it('clears a release command', async () => {
    await kubectlOk(['annotate', '-n', namespace, 'microservice/orders', 'flywheel.dev/release-command=pause', 'flywheel.dev/release-command-id=rbac-1']);
    const annotations = await waitFor('the command annotations to be removed', async () => {
      const live = await get('microservice', 'orders');
      const current = (live.metadata as { annotations?: Record<string, string> }).annotations ?? {};
      return 'flywheel.dev/release-command' in current ? undefined : current;
    });
    expect(annotations['flywheel.dev/release-command-id']).toBeUndefined();
  });

  it('starts an autoscaler', async () => {
    await apply(microservice('orders', { ...FULL_SPEC, image: 'ghcr.io/acme/orders:1.1.0', autoscaling: { minReplicas: 2, maxReplicas: 4 } }));
    const autoscaler = await waitFor('HorizontalPodAutoscaler orders', () => tryGet('horizontalpodautoscaler', 'orders'));
    expect(autoscaler.spec.maxReplicas).toBe(4);
  });

  it('prunes objects the spec no longer renders', async () => {
    // No ports removes the Service and the Istio objects, replicas 1 the disruption
    // budget, no autoscaling section the autoscaler, logging off the Fluent Bit ConfigMap,
    // and a new ServiceAccount name the old ServiceAccount.
    const minimal = {
      image: 'ghcr.io/acme/orders:1.1.0',
      replicas: 1,
      logging: { enabled: false },
      serviceAccount: { name: 'orders-renamed' },
    };
    await apply({ ...microservice('orders', minimal), spec: minimal });
    const remaining = await waitFor('pruned objects', async () => {
      const objects = (await ownedObjects('orders')).map((object) => `${object.kind}/${object.metadata.name}`).sort();
      return objects.length === 2 ? objects : undefined;
    });
    expect(remaining).toEqual(['Deployment/orders', 'ServiceAccount/orders-renamed']);
  });

  it('leaves deletion to the garbage collector', async () => {
    await kubectlOk(['delete', 'microservice', 'orders', '-n', namespace]);
    // kube-controller-manager's garbage collector lags like its other controllers.
    const remaining = await waitFor('children to be collected', async () => {
      const objects = await ownedObjects('orders');
      return objects.length === 0 ? objects : undefined;
    }, READY_TIMEOUT_MS);
    expect(remaining).toEqual([]);
  });

  it('logs no 403', () => {
    expect(forbiddenLines()).toEqual([]);
  });

  it('received no 403 from the API server', () => {
    expect(proxy.calls.filter((call) => call.status === 403)).toEqual([]);
  });
});

// --- Synth ---------------------------------------------------------------------

/**
 * Paths of the fields a manager set, from managedFields' fieldsV1: "f:name" is a field,
 * "k:{...}" the list item with those keys, "v:..." a set item, and "." the item itself.
 */
function fieldPaths(fields: Record<string, unknown>, prefix: string[] = []): string[][] {
  const paths: string[][] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (key === '.') continue;
    const path = [...prefix, key];
    const children = (value ?? {}) as Record<string, unknown>;
    if (Object.keys(children).filter((child) => child !== '.').length === 0) paths.push(path);
    else paths.push(...fieldPaths(children, path));
  }
  return paths;
}

/** Follows a fieldsV1 path through an object; false when any step is missing. */
function hasFieldPath(object: unknown, path: string[]): boolean {
  let current: unknown = object;
  for (const step of path) {
    if (step.startsWith('f:')) {
      if (typeof current !== 'object' || current === null || Array.isArray(current)) return false;
      current = (current as Record<string, unknown>)[step.slice(2)];
    } else if (step.startsWith('k:')) {
      const keys = JSON.parse(step.slice(2)) as Record<string, unknown>;
      if (!Array.isArray(current)) return false;
      current = current.find((item) => Object.entries(keys).every(([key, value]) => isSubset(value, (item as Record<string, unknown>)[key])));
    } else if (step.startsWith('v:')) {
      if (!Array.isArray(current)) return false;
      const value: unknown = JSON.parse(step.slice(2));
      current = current.find((item) => JSON.stringify(item) === JSON.stringify(value));
    }
    if (current === undefined) return false;
  }
  return true;
}

/** Fields only the operator can write: the owner's UID and the hash that includes it. */
const isOperatorBookkeeping = (path: string[]): boolean =>
  path[1] === 'f:ownerReferences' || (path[1] === 'f:annotations' && path[2] === `f:${CONFIG_HASH_ANNOTATION}`);

describe('flywheel synth', () => {
  let synthesized: Array<{ kind: string; metadata: { name: string } }> = [];

  beforeAll(async () => {
    const spec = { ...FULL_SPEC, autoscaling: { minReplicas: 2, maxReplicas: 4 } };
    await apply(microservice('inventory', spec));
    await waitReady('inventory');

    const input = join(workDirectory, 'inventory.yaml');
    await writeFile(input, JSON.stringify(microservice('inventory', spec)));
    const output: string[] = [];
    const code = await runSynthCommand(['-f', input], { stdout: (text) => output.push(text), stderr: (text) => output.push(text) }, {});
    if (code !== 0) throw new Error(`flywheel synth failed: ${output.join('')}`);
    synthesized = parseAllDocuments(output.join('')).map((document) => document.toJS());
  });

  it('writes the kinds the operator applied', async () => {
    const live = (await ownedObjects('inventory')).map((object) => `${object.kind}/${object.metadata.name}`).sort();
    expect(synthesized.map((object) => `${object.kind}/${object.metadata.name}`).sort()).toEqual(live);
  });

  it('matches every live field', async () => {
    for (const object of synthesized) {
      const live = await get(`${object.kind.toLowerCase()}`, object.metadata.name);
      expect(isSubset(object, live), `${object.kind} ${object.metadata.name} differs from the live object`).toBe(true);
    }
  });

  it('contains every field the operator applied', async () => {
    for (const object of synthesized) {
      const live = await kubectlJson<LiveObject>(['get', object.kind.toLowerCase(), object.metadata.name, '-n', namespace, '--show-managed-fields']);
      const applied = live.metadata.managedFields?.find((entry) => entry.manager === 'flywheel' && entry.operation === 'Apply');
      const paths = fieldPaths(applied?.fieldsV1 ?? {}).filter((path) => !isOperatorBookkeeping(path));
      expect(paths.length, `fields the operator applied to ${object.kind} ${object.metadata.name}`).toBeGreaterThan(0);
      expect(paths.filter((path) => !hasFieldPath(object, path)), `${object.kind} ${object.metadata.name}`).toEqual([]);
    }
  });
});

// --- Metrics authentication ------------------------------------------------------

describe('metrics of the operator', () => {
  let metricsUrl: string;
  const readerBinding = () => `${release}-scraper`;

  const tokenFor = async (account: string): Promise<string> => {
    await kubectlOk(['create', 'serviceaccount', account, '-n', systemNamespace]);
    return (await kubectlOk(['create', 'token', account, '-n', systemNamespace])).trim();
  };

  beforeAll(async () => {
    metricsUrl = await waitFor('the metrics address in the operator log', async () => {
      const line = operator.logs.find((entry) => entry.message === 'serving metrics');
      return typeof line?.url === 'string' ? line.url : undefined;
    });
    await kubectlOk(['create', 'clusterrolebinding', readerBinding(), '--clusterrole', `${release}-flywheel-metrics-reader`, '--serviceaccount', `${systemNamespace}:scraper`]);
  });

  afterAll(async () => {
    await kubectl(['delete', 'clusterrolebinding', readerBinding(), '--ignore-not-found']);
  });

  it('serve a reader bound to the metrics-reader ClusterRole', async () => {
    const token = await tokenFor('scraper');
    const response = await waitFor('a scrape that RBAC allows', async () => {
      const candidate = await fetch(metricsUrl, { headers: { authorization: `Bearer ${token}` } });
      return candidate.status === 200 ? candidate : undefined;
    });
    expect(await response.text()).toContain('controller_runtime_reconcile_total');
  });

  it('deny a ServiceAccount without the binding', async () => {
    const token = await tokenFor('stranger');
    const response = await fetch(metricsUrl, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(403);
  });

  it('reject a scrape without a token', async () => {
    const response = await fetch(metricsUrl);
    expect(response.status).toBe(401);
  });
});

// --- Calls against rules -------------------------------------------------------

/** Expands rules into the "group/resource:verb" permissions they grant. */
function grantedPermissions(rules: PolicyRule[]): Set<string> {
  const granted = new Set<string>();
  for (const rule of rules) {
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        for (const verb of rule.verbs) granted.add(`${group}/${resource}:${verb}`);
      }
    }
  }
  return granted;
}

/** Collects the "group/resource:verb" permissions of recorded calls; an apply that created an object also counts as create. */
function usedPermissions(calls: RecordedCall[]): Set<string> {
  const used = new Set<string>();
  for (const call of calls) {
    const attributes = requestAttributes(call.method, call.url);
    if (!attributes.isResourceRequest) continue;
    const resource = attributes.subresource ? `${attributes.resource}/${attributes.subresource}` : attributes.resource;
    used.add(`${attributes.apiGroup}/${resource}:${attributes.verb}`);
    if (attributes.verb === 'patch' && call.status === 201) used.add(`${attributes.apiGroup}/${resource}:create`);
  }
  return used;
}

/**
 * Grants the scenarios above do not use, each with the reason it stays: a rule missing
 * from here and unused fails the test, so an unneeded grant cannot slip in.
 */
const UNUSED_GRANTS: Record<string, string> = {
  'flywheel.dev/microservices/finalizers:update': 'only the OwnerReferencesPermissionEnforcement admission plugin checks it, and the local API server does not run that plugin',
  'apps/deployments:delete': 'a Deployment is pruned only when a canary release ends',
};

describe('calls of the operator', () => {
  // The operator's rules in the chart's default installation; the release is known only once set-up ran.
  const chartRules = (): PolicyRule[] => {
    const permissions = operatorPermissions({ leaseName: `${release}-flywheel` });
    return [...permissions.manager, ...permissions.mesh, ...permissions.leaderElection, ...permissions.metricsAuth];
  };

  it('are all allowed by the chart rules', () => {
    const denied = proxy.calls
      .map((call) => ({ call, attributes: requestAttributes(call.method, call.url) }))
      .filter(({ attributes }) => attributes.isResourceRequest && !rulesAllow(chartRules(), attributes))
      .map(({ call }) => `${call.method} ${call.url}`);
    expect(denied).toEqual([]);
  });

  it('use every granted permission', () => {
    const used = usedPermissions(proxy.calls);
    const unused = [...grantedPermissions(chartRules())].filter((permission) => !used.has(permission)).sort();
    expect(unused).toEqual(Object.keys(UNUSED_GRANTS).sort());
  });
});

// --- Least privilege -------------------------------------------------------------

describe('chart ServiceAccount', () => {
  const cases: Array<[string, string, string, boolean]> = [
    ['create', 'deployments.apps', 'workload', true],
    ['patch', 'microservices.flywheel.dev --subresource=status', 'workload', true],
    ['watch', 'microservices.flywheel.dev', 'workload', true],
    ['create', 'events', 'workload', true],
    ['patch', 'microservices.flywheel.dev', 'workload', true],
    ['update', 'microservices.flywheel.dev', 'workload', false],
    ['delete', 'microservices.flywheel.dev', 'workload', false],
    ['get', 'secrets', 'workload', false],
    ['list', 'pods', 'workload', false],
    ['create', 'pods', 'workload', false],
    ['update', 'deployments.apps', 'workload', false],
    ['create', 'leases.coordination.k8s.io', 'workload', false],
    ['create', 'namespaces', 'workload', false],
    ['create', 'clusterrolebindings.rbac.authorization.k8s.io', 'workload', false],
    ['create', 'tokenreviews.authentication.k8s.io', 'workload', true],
  ];

  it.each(cases)('%s %s: %s allowed=%s', async (verb, resource, scope, allowed) => {
    const target = scope === 'workload' ? namespace : systemNamespace;
    const result = await kubectl(['auth', 'can-i', verb, ...resource.split(' '), '-n', target, '--as', `system:serviceaccount:${systemNamespace}:${serviceAccount}`]);
    expect(result.stdout.trim()).toBe(allowed ? 'yes' : 'no');
  });
});

// --- The check bites ---------------------------------------------------------------

describe('chart rules without create on Deployments', () => {
  let original: string;

  beforeAll(async () => {
    const role = await kubectlJson<{ rules: PolicyRule[] }>(['get', 'clusterrole', `${release}-flywheel-manager`]);
    original = JSON.stringify(role);
    const apps = role.rules.find((rule) => rule.apiGroups?.includes('apps'));
    if (!apps) throw new Error('the manager ClusterRole has no rule for the apps group');
    apps.verbs = apps.verbs.filter((verb) => verb !== 'create');
    await kubectlOk(['replace', '-f', '-'], JSON.stringify(role));
    await waitAuthorized('create', 'deployments.apps', namespace, false);
  });

  afterAll(async () => {
    const role = JSON.parse(original) as { metadata: Record<string, unknown> };
    delete role.metadata.resourceVersion;
    await kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', '-'], JSON.stringify(role));
  });

  it('stop a new Microservice with 403', async () => {
    await apply(microservice('payments', { image: 'ghcr.io/acme/payments:1.0.0' }));
    const denied = await waitFor('a 403 on the Deployment', async () =>
      proxy.calls.find((call) => call.status === 403 && call.url.includes('/deployments/payments')),
    );
    expect(denied.method).toBe('PATCH');
  });

  it('leave the Deployment uncreated', async () => {
    expect(await tryGet('deployment', 'payments')).toBeUndefined();
  });

  it('report the failure in status', async () => {
    const degraded = await waitFor('Degraded=True on payments', async () => {
      const object = await get('microservice', 'payments');
      const condition = (object.status?.conditions ?? []).find((entry: { type: string }) => entry.type === 'Degraded');
      return condition?.status === 'True' ? condition : undefined;
    });
    expect(degraded.message).toMatch(/forbidden|403/i);
  });
});
