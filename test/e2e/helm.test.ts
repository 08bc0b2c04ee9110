/**
 * The Helm chart against real Helm and the local control plane: lint, server-side dry
 * runs of the rendered objects (Pod Security "restricted" included), schema checks of
 * bad values, and a release's install, upgrade and uninstall. kwok plays the kubelet,
 * so operator pods turn Ready without running. `helm test` waits for its Pod to
 * complete, which kwok never reports for a bare Pod, so that Pod is checked by
 * admission only.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseConfig, type OperatorConfig } from '../../operator/src/config.ts';
import {
  KUBECONFIG,
  REPO_ROOT,
  applyCrd,
  createNamespace,
  deleteNamespace,
  kubectl,
  kubectlJson,
  kubectlOk,
  waitFor,
} from './harness.ts';

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; resourceVersion?: string; generation?: number };
  spec?: any;
  rules?: Array<{ apiGroups?: string[]; resources?: string[]; verbs: string[] }>;
}

interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

const CHART = `${REPO_ROOT}charts/flywheel`;
const CRD_NAME = 'microservices.flywheel.dev';
/** Prometheus Operator release whose ServiceMonitor CRD the chart's ServiceMonitor is checked against. */
const PROMETHEUS_OPERATOR_MODULE = 'github.com/prometheus-operator/prometheus-operator@v0.85.0';

const helmPath = join(execFileSync('bash', [`${REPO_ROOT}hack/build-control-plane.sh`], { encoding: 'utf8' }).trim(), 'helm');

/** Runs helm against the local control plane; never throws on a non-zero exit. */
function helm(args: string[]): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(helmPath, [...args, '--kubeconfig', KUBECONFIG], { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      let code = 0;
      if (error) code = typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

async function helmOk(args: string[]): Promise<string> {
  const result = await helm(args);
  if (result.code !== 0) throw new Error(`helm ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

const manifests = (text: string): Manifest[] =>
  parseAllDocuments(text)
    .map((document) => document.toJS() as Manifest | null)
    .filter((object): object is Manifest => object !== null);

const crdState = () => kubectlJson<Manifest>(['get', 'crd', CRD_NAME]);

/**
 * Renders the Deployment with `values` and parses its container's arguments and
 * environment with the operator's own configuration parser, as the pod would at start.
 */
async function operatorConfigFor(values: string[]): Promise<OperatorConfig> {
  const rendered = await helmOk([
    'template', 'flywheel', CHART, '--namespace', namespace, '--show-only', 'templates/deployment.yaml',
    ...values.map((value) => value.replace('NAMESPACE', namespace)),
  ]);
  const container = manifests(rendered)[0]?.spec.template.spec.containers[0] as { args: string[]; env: Array<{ name: string; value?: string }> };
  expect(container.args[0]).toBe('operator');
  const env: NodeJS.ProcessEnv = { KUBERNETES_SERVICE_HOST: '10.96.0.1', POD_NAMESPACE: namespace, POD_NAME: 'flywheel-0' };
  for (const variable of container.env) if (variable.value !== undefined) env[variable.name] = variable.value;
  const config = parseConfig(container.args.slice(1), env, false, { serviceAccountNamespace: () => namespace });
  if (config === 'help') throw new Error('the chart passes --help to the operator');
  return config;
}

/** A value for every platform setting and option that changes the operator's flags. */
const EVERY_SETTING = [
  '--set', 'platform.kubernetesVersion=1.31',
  '--set', 'platform.mesh.enabled=false',
  '--set', 'platform.logging.enabled=true',
  '--set', 'platform.logging.fluentBitImage=public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.3',
  '--set', 'platform.logging.sidecarResources.requests.cpu=20m',
  '--set', 'platform.logging.sidecarResources.requests.memory=40Mi',
  '--set', 'platform.logging.sidecarResources.limits.memory=100Mi',
  '--set', 'platform.aws.region=eu-west-1',
  '--set', 'platform.prometheus.address=http://prometheus.monitoring:9090',
  '--set', 'serviceAccount.iamRoleArn=arn:aws:iam::111122223333:role/flywheel',
  '--set', 'watchNamespaces={NAMESPACE}',
  '--set', 'operator.workers=8',
  '--set', 'operator.logLevel=debug',
  '--set', 'operator.gracefulShutdownSeconds=40',
  '--set', 'metrics.tls.secretName=flywheel-metrics-tls',
];

let namespace: string;

beforeAll(async () => {
  await applyCrd();
  // Pod Security "restricted" is enforced, so a pod template that breaks it fails to create pods.
  namespace = await createNamespace('helm', { 'pod-security.kubernetes.io/enforce': 'restricted' });
});

afterAll(async () => {
  await helm(['uninstall', 'flywheel', '-n', namespace, '--ignore-not-found']);
  await deleteNamespace(namespace);
});

describe('chart', () => {
  it('passes helm lint --strict', async () => {
    const result = await helm(['lint', '--strict', CHART]);
    expect(result.stderr + result.stdout).toContain('0 chart(s) failed');
    expect(result.code).toBe(0);
  });

  it.each([
    ['defaults', []],
    ['watched namespaces', ['--set', 'watchNamespaces={NAMESPACE}']],
    ['mesh off, no leader election', ['--set', 'platform.mesh.enabled=false', '--set', 'leaderElection.enabled=false', '--set', 'replicaCount=1']],
    ['every setting', EVERY_SETTING],
    ['metrics authentication off', ['--set', 'metrics.authentication=false']],
  ])('passes a strict server-side dry run: %s', async (_name, values) => {
    const rendered = await helmOk(['template', 'flywheel', CHART, '--namespace', namespace, ...values.map((value) => value.replace('NAMESPACE', namespace))]);
    const result = await kubectl(['apply', '--server-side', '--dry-run=server', '--validate=strict', '-n', namespace, '-f', '-'], rendered);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('passes flags and variables the operator accepts', async () => {
    const config = await operatorConfigFor(EVERY_SETTING);
    expect(config).toMatchObject({
      namespaces: [namespace],
      workers: 8,
      logLevel: 'debug',
      logFormat: 'json',
      kubernetesVersion: '1.31',
      metricsAuth: true,
      metricsTls: { certFile: '/etc/flywheel/metrics-tls/tls.crt', keyFile: '/etc/flywheel/metrics-tls/tls.key' },
      gracefulShutdownTimeoutMs: 40_000,
      leaderElection: { enabled: true, leaseName: 'flywheel', leaseNamespace: namespace },
      platform: {
        mesh: { enabled: false },
        logging: {
          enabled: true,
          region: 'eu-west-1',
          fluentBitImage: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.3',
          sidecarResources: { requests: { cpu: '20m', memory: '40Mi' }, limits: { memory: '100Mi' } },
        },
        prometheus: { address: 'http://prometheus.monitoring:9090' },
      },
    });
  });

  it('passes the operator its defaults', async () => {
    const config = await operatorConfigFor([]);
    expect(config).toMatchObject({ namespaces: [], leaderElection: { enabled: true }, metricsAuth: true, platform: { mesh: { enabled: true } } });
  });

  it('renders a test Pod that Pod Security restricted admits', async () => {
    const rendered = await helmOk(['template', 'flywheel', CHART, '--namespace', namespace, '--show-only', 'templates/tests/readyz.yaml']);
    const result = await kubectl(['apply', '--server-side', '--dry-run=server', '-n', namespace, '-f', '-'], rendered);
    expect(result.stderr).toBe('');
  });

  it('ships the CRD generated from crds/src', async () => {
    const chartCopy = await readFile(`${CHART}/crds/${CRD_NAME}.yaml`, 'utf8');
    expect(chartCopy).toBe(await readFile(`${REPO_ROOT}crds/${CRD_NAME}.yaml`, 'utf8'));
  });
});

describe('ServiceMonitor', () => {
  let installedCrd = false;

  beforeAll(async () => {
    const existing = await kubectl(['get', 'crd', 'servicemonitors.monitoring.coreos.com']);
    if (existing.code === 0) return;
    const download = JSON.parse(execFileSync('go', ['mod', 'download', '-json', PROMETHEUS_OPERATOR_MODULE], { encoding: 'utf8' })) as { Dir: string };
    await kubectlOk(['apply', '--server-side', '-f', `${download.Dir}/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml`]);
    await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd/servicemonitors.monitoring.coreos.com']);
    installedCrd = true;
  });

  afterAll(async () => {
    if (installedCrd) await kubectl(['delete', 'crd', 'servicemonitors.monitoring.coreos.com', '--wait=false']);
  });

  it.each([
    ['with metrics authentication', ['--set', 'metrics.authentication=true']],
    ['without metrics authentication', ['--set', 'metrics.authentication=false']],
    ['with TLS', ['--set', 'metrics.tls.secretName=flywheel-metrics-tls', '--set', 'metrics.serviceMonitor.tlsConfig.insecureSkipVerify=true']],
  ])('passes the monitoring.coreos.com/v1 schema %s', async (_name, values) => {
    const rendered = await helmOk([
      'template', 'flywheel', CHART, '--namespace', namespace,
      '--set', 'metrics.serviceMonitor.enabled=true',
      '--set', 'metrics.serviceMonitor.labels.release=prometheus',
      ...values,
      '--show-only', 'templates/servicemonitor.yaml',
    ]);
    const result = await kubectl(['apply', '--server-side', '--dry-run=server', '--validate=strict', '-n', namespace, '-f', '-'], rendered);
    expect(result.stderr).toBe('');
  });

  it('is off by default', async () => {
    const rendered = manifests(await helmOk(['template', 'flywheel', CHART, '--namespace', namespace]));
    expect(rendered.map((object) => object.kind)).not.toContain('ServiceMonitor');
  });
});

describe('values schema', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['zero replicas', ['--set', 'replicaCount=0'], /at '\/replicaCount': minimum: got 0, want 1/],
    ['unknown top-level value', ['--set', 'replicas=2'], /additional properties 'replicas' not allowed/],
    ['misspelled nested value', ['--set', 'platform.mesh.enable=false'], /at '\/platform\/mesh': additional properties 'enable' not allowed/],
    ['string for a boolean', ['--set-string', 'platform.mesh.enabled=yes'], /at '\/platform\/mesh\/enabled': got string, want boolean/],
    ['unknown log level', ['--set', 'operator.logLevel=verbose'], /at '\/operator\/logLevel': value must be one of 'error', 'warn', 'info', 'debug'/],
    ['invalid namespace', ['--set', 'watchNamespaces={Shop}'], /at '\/watchNamespaces\/0': 'Shop' does not match pattern/],
    ['invalid IAM role ARN', ['--set', 'serviceAccount.iamRoleArn=flywheel-role'], /at '\/serviceAccount\/iamRoleArn': 'flywheel-role' does not match pattern/],
    ['invalid AWS region', ['--set', 'platform.aws.region=europe'], /at '\/platform\/aws\/region': 'europe' does not match pattern/],
    ['invalid Kubernetes version', ['--set', 'platform.kubernetesVersion=v1.34.2'], /at '\/platform\/kubernetesVersion'/],
    ['privileged metrics port', ['--set', 'metrics.port=443'], /at '\/metrics\/port': minimum: got 443, want 1,024/],
    ['invalid memory quantity', ['--set', 'resources.limits.memory=lots'], /at '\/resources\/limits\/memory': 'lots' does not match pattern/],
    ['Prometheus address without scheme', ['--set', 'platform.prometheus.address=prometheus:9090'], /at '\/platform\/prometheus\/address'/],
    ['workers above 64', ['--set', 'operator.workers=65'], /at '\/operator\/workers': maximum: got 65, want 64/],
    ['invalid digest', ['--set', 'image.digest=sha256:abc'], /at '\/image\/digest'/],
    ['many replicas without leader election', ['--set', 'leaderElection.enabled=false'], /replicaCount is 2 but leaderElection\.enabled is false/],
    ['metrics and health on one port', ['--set', 'health.port=8080'], /metrics\.port and health\.port are both 8080/],
    ['existing ServiceAccount without a name', ['--set', 'serviceAccount.create=false'], /serviceAccount\.name is required when serviceAccount\.create is false/],
  ];

  it.each(cases)('rejects %s', async (_name, values, message) => {
    const result = await helm(['template', 'flywheel', CHART, '--namespace', namespace, ...values]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(message);
  });

  it('stops helm install before it creates anything', async () => {
    const result = await helm(['install', 'rejected', CHART, '--namespace', namespace, '--set', 'replicaCount=-1']);
    expect(result.stderr).toMatch(/at '\/replicaCount': minimum: got -1, want 1/);
    expect((await helm(['status', 'rejected', '-n', namespace])).code).not.toBe(0);
  });
});

describe('helm release', () => {
  it('installs and becomes ready', async () => {
    const output = await helmOk(['install', 'flywheel', CHART, '--namespace', namespace, '--wait', '--timeout', '240s']);
    expect(output).toContain('STATUS: deployed');
  }, 300_000);

  it('runs two operator replicas', async () => {
    const deployment = await kubectlJson<Manifest & { status: { readyReplicas?: number } }>(['get', 'deployment', 'flywheel', '-n', namespace]);
    expect(deployment.status.readyReplicas).toBe(2);
  });

  it('passes --leader-elect=true', async () => {
    const deployment = await kubectlJson<Manifest>(['get', 'deployment', 'flywheel', '-n', namespace]);
    expect(deployment.spec.template.spec.containers[0].args).toContain('--leader-elect=true');
  });

  it('keeps the CRD out of the release', async () => {
    const crd = await crdState();
    expect(crd.metadata.annotations?.['meta.helm.sh/release-name']).toBeUndefined();
  });

  it('binds the ClusterRole to the ServiceAccount', async () => {
    const result = await kubectl(['auth', 'can-i', 'create', 'deployments.apps', '-n', 'default', '--as', `system:serviceaccount:${namespace}:flywheel`]);
    expect(result.stdout.trim()).toBe('yes');
  });

  it('prints NOTES', async () => {
    const status = await helmOk(['status', 'flywheel', '-n', namespace]);
    expect(status).toContain('helm test flywheel');
  });

  it('upgrades with changed values', async () => {
    // No --wait: the change is in the Deployment spec at once, while a rollout on a
    // busy shared control plane can take minutes.
    await helmOk([
      'upgrade', 'flywheel', CHART, '--namespace', namespace, '--reuse-values',
      '--set', 'replicaCount=3',
      '--set', 'platform.mesh.enabled=false',
      '--set', 'serviceAccount.iamRoleArn=arn:aws:iam::111122223333:role/flywheel',
    ]);
    const deployment = await kubectlJson<Manifest>(['get', 'deployment', 'flywheel', '-n', namespace]);
    expect(deployment.spec.replicas).toBe(3);
  });

  it('passes the changed platform setting', async () => {
    const deployment = await kubectlJson<Manifest>(['get', 'deployment', 'flywheel', '-n', namespace]);
    const env = deployment.spec.template.spec.containers[0].env as Array<{ name: string; value?: string }>;
    expect(env.find((variable) => variable.name === 'FLYWHEEL_MESH_ENABLED')?.value).toBe('false');
  });

  it('drops the Istio rules with the mesh off', async () => {
    const role = await kubectlJson<Manifest>(['get', 'clusterrole', 'flywheel-manager']);
    expect((role.rules ?? []).flatMap((rule) => rule.apiGroups ?? [])).not.toContain('networking.istio.io');
  });

  it('annotates the ServiceAccount for IRSA', async () => {
    const account = await kubectlJson<Manifest>(['get', 'serviceaccount', 'flywheel', '-n', namespace]);
    expect(account.metadata.annotations?.['eks.amazonaws.com/role-arn']).toBe('arn:aws:iam::111122223333:role/flywheel');
  });

  it('uninstalls everything but the CRD', async () => {
    await kubectlOk(['apply', '-f', '-'], JSON.stringify(KEPT_MICROSERVICE(namespace)));
    await helmOk(['uninstall', 'flywheel', '--namespace', namespace, '--wait', '--timeout', '120s']);
    const left = await waitFor('release objects to be deleted', async () => {
      const namespaced = await kubectlJson<{ items: Manifest[] }>(['get', 'deployments,services,serviceaccounts,roles,rolebindings,poddisruptionbudgets', '-n', namespace, '-l', 'app.kubernetes.io/instance=flywheel']);
      const cluster = await kubectlJson<{ items: Manifest[] }>(['get', 'clusterroles,clusterrolebindings', '-l', 'app.kubernetes.io/instance=flywheel']);
      const items = [...namespaced.items, ...cluster.items];
      return items.length === 0 ? items : undefined;
    });
    expect(left).toEqual([]);
  });

  it('keeps the CRD after uninstall', async () => {
    const crd = await crdState();
    expect(crd.metadata.name).toBe(CRD_NAME);
  });

  it('keeps Microservices after uninstall', async () => {
    const result = await kubectl(['get', 'microservice', 'kept', '-n', namespace]);
    expect(result.code).toBe(0);
  });
});

/** A Microservice that must outlive `helm uninstall`, because the CRD stays. */
const KEPT_MICROSERVICE = (namespace: string) => ({
  apiVersion: 'flywheel.dev/v1alpha1',
  kind: 'Microservice',
  metadata: { name: 'kept', namespace },
  spec: { image: 'ghcr.io/acme/kept:1.0.0' },
});
