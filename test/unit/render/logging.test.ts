import { describe, expect, it } from 'vitest';
import type { Microservice, MicroserviceSpec } from '../../../cdk8s/src/api/microservice.ts';
import { DEFAULT_PLATFORM, FLUENT_BIT_IMAGE, type PlatformSettings } from '../../../cdk8s/src/api/platform.ts';
import { configHash, fluentBitGraceSeconds } from '../../../cdk8s/src/logging/fluent-bit-config.ts';
import { parseKubernetesVersion } from '../../../cdk8s/src/logging/kubernetes-version.ts';
import { renderMicroservice, type KubeObject } from '../../../cdk8s/src/render.ts';

const microservice = (spec: Partial<MicroserviceSpec> = {}): Microservice => ({
  apiVersion: 'flywheel.dev/v1alpha1',
  kind: 'Microservice',
  metadata: { name: 'orders', namespace: 'shop', uid: 'u1', generation: 1 },
  spec: { image: 'ghcr.io/acme/orders:1.0.0', ...spec },
});

const platform = (logging: Partial<PlatformSettings['logging']> = {}, kubernetesVersion = '1.34'): PlatformSettings => ({
  ...DEFAULT_PLATFORM,
  kubernetesVersion,
  logging: { ...DEFAULT_PLATFORM.logging, ...logging },
});

const render = (spec: Partial<MicroserviceSpec> = {}, settings: PlatformSettings = platform()) =>
  renderMicroservice(microservice(spec), settings);

const find = (objects: KubeObject[], kind: string, name?: string) =>
  objects.find((object) => object.kind === kind && (name === undefined || object.metadata.name === name)) as any;

const podOf = (objects: KubeObject[]) => find(objects, 'Deployment').spec.template;
const sidecarOf = (objects: KubeObject[]) =>
  [...(podOf(objects).spec.initContainers ?? []), ...podOf(objects).spec.containers].find((container: any) => container.name === 'fluent-bit');
const appOf = (objects: KubeObject[]) => podOf(objects).spec.containers.find((container: any) => container.name === 'app');
const mainConfig = (objects: KubeObject[]): string => find(objects, 'ConfigMap').data['fluent-bit.conf'];
const parsersConfig = (objects: KubeObject[]): string => find(objects, 'ConfigMap').data['parsers.conf'];

const ENABLED = { logging: { enabled: true } };

describe('logging switch', () => {
  it('is off by platform default', () => {
    expect(find(render(), 'ConfigMap')).toBeUndefined();
  });

  it('renders no sidecar when off', () => {
    expect(sidecarOf(render())).toBeUndefined();
  });

  it('leaves the app without a log directory when off', () => {
    expect(appOf(render()).env).toBeUndefined();
  });

  it('leaves the pod without a hash annotation when off', () => {
    expect(podOf(render()).metadata.annotations).toBeUndefined();
  });

  it('follows the platform default when the spec does not choose', () => {
    expect(find(render({}, platform({ enabled: true })), 'ConfigMap')).toBeDefined();
  });

  it('lets the spec switch it off against the platform default', () => {
    expect(find(render({ logging: { enabled: false } }, platform({ enabled: true })), 'ConfigMap')).toBeUndefined();
  });

  it('lets the spec switch it on against the platform default', () => {
    expect(find(render(ENABLED), 'ConfigMap')).toBeDefined();
  });
});

describe('logging ConfigMap', () => {
  const objects = render(ENABLED);
  const configMap = find(objects, 'ConfigMap');

  it('is named after the Deployment', () => {
    expect(configMap.metadata).toMatchObject({ name: 'orders-fluent-bit', namespace: 'shop' });
  });

  it('carries the owner label used for pruning', () => {
    expect(configMap.metadata.labels).toMatchObject({ 'flywheel.dev/microservice': 'orders' });
  });

  it('holds the main file and the parsers file', () => {
    expect(Object.keys(configMap.data).sort()).toEqual(['fluent-bit.conf', 'parsers.conf']);
  });

  it('writes to the default log group', () => {
    expect(mainConfig(objects)).toMatch(/^ {4}log_group_name +\/flywheel\/shop\/orders$/m);
  });

  it('writes to the platform region', () => {
    expect(mainConfig(render(ENABLED, platform({ enabled: false, region: 'eu-west-1' })))).toMatch(/^ {4}region +eu-west-1$/m);
  });

  it('defaults the region to us-east-1', () => {
    expect(mainConfig(objects)).toMatch(/^ {4}region +us-east-1$/m);
  });

  it('creates the log group', () => {
    expect(mainConfig(objects)).toMatch(/^ {4}auto_create_group +On$/m);
  });

  it('writes one stream per pod', () => {
    expect(mainConfig(objects)).toMatch(/^ {4}log_stream_prefix +\$\{FLYWHEEL_POD_NAME\}\/$/m);
  });

  it('sets no retention by default', () => {
    expect(mainConfig(objects)).not.toMatch(/log_retention_days/);
  });

  it('tails the shared directory', () => {
    expect(mainConfig(objects)).toMatch(/^ {4}Path +\/var\/log\/flywheel\/\*\.log$/m);
  });

  it('keeps the position database in the shared volume', () => {
    expect(mainConfig(objects)).toMatch(/^ {4}DB +\/var\/log\/flywheel\/fluent-bit-tail\.db$/m);
  });

  it('skips long lines instead of stopping the file', () => {
    expect(mainConfig(objects)).toMatch(/^ {4}Skip_Long_Lines +On$/m);
  });

  it('adds pod metadata from the environment', () => {
    expect(mainConfig(objects)).toMatch(/^ {4}Record k8s\.pod\.name \$\{FLYWHEEL_POD_NAME\}$/m);
  });

  it('parses JSON by default', () => {
    expect(mainConfig(objects)).toMatch(/^ {4}Parser +flywheel_json$/m);
  });

  it('defines the JSON parser on the timestamp field', () => {
    expect(parsersConfig(objects)).toMatch(/^ {4}Time_Key +timestamp$/m);
  });

  it('sets Grace below the termination grace period', () => {
    expect(mainConfig(objects)).toMatch(/^ {4}Grace +10$/m);
  });
});

describe('logging options', () => {
  it('writes to a chosen log group', () => {
    expect(mainConfig(render({ logging: { enabled: true, logGroup: 'team-a/orders#prod' } }))).toMatch(/^ {4}log_group_name +team-a\/orders#prod$/m);
  });

  it('sets a chosen retention', () => {
    expect(mainConfig(render({ logging: { enabled: true, retentionDays: 90 } }))).toMatch(/^ {4}log_retention_days +90$/m);
  });

  it('sends text lines unparsed', () => {
    expect(mainConfig(render({ logging: { enabled: true, parser: 'text' } }))).not.toMatch(/^ {4}Parser /m);
  });

  it('uses the platform image', () => {
    expect(sidecarOf(render(ENABLED, platform({ fluentBitImage: 'registry.example/fluent-bit:9.9.9' }))).image).toBe(
      'registry.example/fluent-bit:9.9.9',
    );
  });

  it('uses the platform resources', () => {
    const resources = { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } };
    expect(sidecarOf(render(ENABLED, platform({ sidecarResources: resources }))).resources).toEqual(resources);
  });
});

describe('logging sidecar', () => {
  const objects = render(ENABLED);
  const pod = podOf(objects);
  const sidecar = sidecarOf(objects);
  const app = appOf(objects);

  it('runs as a native sidecar on Kubernetes 1.34', () => {
    expect(pod.spec.initContainers).toEqual([expect.objectContaining({ name: 'fluent-bit', restartPolicy: 'Always' })]);
  });

  it('leaves the app as the only regular container', () => {
    expect(pod.spec.containers.map((container: any) => container.name)).toEqual(['app']);
  });

  it('runs the pinned aws-for-fluent-bit image by default', () => {
    expect(sidecar.image).toBe(FLUENT_BIT_IMAGE);
  });

  it('pins an exact version tag', () => {
    expect(FLUENT_BIT_IMAGE).toMatch(/^public\.ecr\.aws\/aws-observability\/aws-for-fluent-bit:\d+\.\d+\.\d+$/);
  });

  it('runs Fluent Bit on the mounted configuration', () => {
    expect(sidecar.command).toEqual(['/fluent-bit/bin/fluent-bit', '-c', '/fluent-bit/etc/flywheel/fluent-bit.conf']);
  });

  it('meets Pod Security restricted', () => {
    expect(sidecar.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      runAsUser: 1000,
      runAsGroup: 1000,
    });
  });

  it('gives the shared volume the sidecar group', () => {
    expect(pod.spec.securityContext.fsGroup).toBe(1000);
  });

  it('keeps the pod-level restricted settings', () => {
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
  });

  it('requests 50m CPU and 50Mi memory with a 250Mi limit by default', () => {
    expect(sidecar.resources).toEqual({ requests: { cpu: '50m', memory: '50Mi' }, limits: { memory: '250Mi' } });
  });

  it('mounts the shared volume', () => {
    expect(sidecar.volumeMounts).toContainEqual({ name: 'logs', mountPath: '/var/log/flywheel' });
  });

  it('mounts the configuration read-only', () => {
    expect(sidecar.volumeMounts).toContainEqual({ name: 'fluent-bit-config', mountPath: '/fluent-bit/etc/flywheel', readOnly: true });
  });

  it('reads pod identity from the downward API', () => {
    expect(sidecar.env).toEqual([
      { name: 'FLYWHEEL_POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'FLYWHEEL_POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'FLYWHEEL_MICROSERVICE', valueFrom: { fieldRef: { fieldPath: "metadata.labels['flywheel.dev/microservice']" } } },
      { name: 'FLYWHEEL_APP_CONTAINER', value: 'app' },
    ]);
  });

  it('labels the pod with the microservice the downward API reads', () => {
    expect(pod.metadata.labels['flywheel.dev/microservice']).toBe('orders');
  });

  it('mounts the shared volume in the app', () => {
    expect(app.volumeMounts).toContainEqual({ name: 'logs', mountPath: '/var/log/flywheel' });
  });

  it('tells the app the log directory', () => {
    expect(app.env).toContainEqual({ name: 'FLYWHEEL_LOG_DIR', value: '/var/log/flywheel' });
  });

  it('keeps the app environment from the spec', () => {
    expect(appOf(render({ ...ENABLED, env: [{ name: 'A', value: '1' }] })).env).toEqual([
      { name: 'A', value: '1' },
      { name: 'FLYWHEEL_LOG_DIR', value: '/var/log/flywheel' },
    ]);
  });

  it('adds an emptyDir and the ConfigMap as volumes', () => {
    expect(pod.spec.volumes).toEqual([
      { name: 'tmp', emptyDir: {} },
      { name: 'logs', emptyDir: {} },
      { name: 'fluent-bit-config', configMap: { name: 'orders-fluent-bit' } },
    ]);
  });

  it('sets the termination grace period explicitly', () => {
    expect(pod.spec.terminationGracePeriodSeconds).toBe(30);
  });

  it('annotates the pod with the configuration hash', () => {
    expect(pod.metadata.annotations['flywheel.dev/logging-config-hash']).toBe(configHash(find(objects, 'ConfigMap').data));
  });
});

describe('logging configuration hash', () => {
  const hashOf = (spec: Partial<MicroserviceSpec>) => podOf(render(spec)).metadata.annotations['flywheel.dev/logging-config-hash'];

  it('stays the same for the same spec', () => {
    expect(hashOf(ENABLED)).toBe(hashOf(ENABLED));
  });

  it('changes with the retention', () => {
    expect(hashOf({ logging: { enabled: true, retentionDays: 30 } })).not.toBe(hashOf({ logging: { enabled: true, retentionDays: 60 } }));
  });

  it('changes with the parser', () => {
    expect(hashOf({ logging: { enabled: true, parser: 'text' } })).not.toBe(hashOf(ENABLED));
  });
});

describe('logging on older clusters', () => {
  const versions: Array<[string, boolean]> = [
    ['1.34', true],
    ['1.29', true],
    ['v1.30.2', true],
    ['1.29+', true],
    ['1.31.4-eks-2d5f260', true],
    ['2.0', true],
    ['1.28', false],
    ['v1.27.9', false],
  ];

  it.each(versions)('Kubernetes %s runs a native sidecar: %s', (version, native) => {
    const objects = render(ENABLED, platform({}, version));
    expect(sidecarOf(objects).restartPolicy === 'Always').toBe(native);
  });

  it('puts the sidecar next to the app before 1.29', () => {
    const pod = podOf(render(ENABLED, platform({}, '1.28')));
    expect(pod.spec.containers.map((container: any) => container.name)).toEqual(['app', 'fluent-bit']);
  });

  it('adds no init container before 1.29', () => {
    expect(podOf(render(ENABLED, platform({}, '1.28'))).spec.initContainers).toBeUndefined();
  });

  it('rejects an unparseable version', () => {
    expect(() => render(ENABLED, platform({}, 'latest'))).toThrow(/platform Kubernetes version "latest" is invalid/);
  });
});

describe('Kubernetes version parsing', () => {
  const cases: Array<[string, { major: number; minor: number } | undefined]> = [
    ['1.29', { major: 1, minor: 29 }],
    [' v1.30.2 ', { major: 1, minor: 30 }],
    ['1.29+', { major: 1, minor: 29 }],
    ['1.31.4-eks-2d5f260', { major: 1, minor: 31 }],
    ['1', undefined],
    ['1.x', undefined],
    ['one.two', undefined],
    ['', undefined],
  ];

  it.each(cases)('parses "%s"', (version, expected) => {
    expect(parseKubernetesVersion(version)).toEqual(expected);
  });
});

describe('Fluent Bit grace period', () => {
  const cases: Array<[number, number]> = [
    [30, 10],
    [120, 10],
    [9, 3],
    [2, 1],
    [0, 1],
  ];

  it.each(cases)('termination grace %i s gives Grace %i s', (termination, grace) => {
    expect(fluentBitGraceSeconds(termination)).toBe(grace);
  });
});

describe('logging validation', () => {
  const cases: Array<[string, Partial<MicroserviceSpec>, PlatformSettings, RegExp]> = [
    ['log group with a space', { logging: { enabled: true, logGroup: 'my group' } }, platform(), /logGroup "my group" is invalid: it may contain only/],
    ['empty log group', { logging: { enabled: true, logGroup: '' } }, platform(), /must have 1 to 512 characters/],
    ['log group of 513 characters', { logging: { enabled: true, logGroup: 'a'.repeat(513) } }, platform(), /must have 1 to 512 characters/],
    ['log group under aws/', { logging: { enabled: true, logGroup: 'aws/lambda/x' } }, platform(), /must not start with "aws\/"/],
    ['retention of 2 days', { logging: { enabled: true, retentionDays: 2 as never } }, platform(), /retentionDays 2 is not accepted by CloudWatch Logs/],
    ['parser xml', { logging: { enabled: true, parser: 'xml' as never } }, platform(), /parser "xml" is invalid; use json or text/],
    ['invalid region', ENABLED, platform({ region: 'Europe' }), /region "Europe" is not an AWS region name/],
    ['env that logging sets', { ...ENABLED, env: [{ name: 'FLYWHEEL_LOG_DIR', value: '/x' }] }, platform(), /spec\.env sets FLYWHEEL_LOG_DIR/],
  ];

  it.each(cases)('rejects %s', (_name, spec, settings, message) => {
    expect(() => render(spec, settings)).toThrow(message);
  });

  it('accepts a log group of 512 characters', () => {
    expect(() => render({ logging: { enabled: true, logGroup: 'a'.repeat(512) } })).not.toThrow();
  });

  it('ignores invalid options while logging is off', () => {
    expect(() => render({ logging: { enabled: false, logGroup: 'my group' } })).not.toThrow();
  });
});

describe('logging during a canary release', () => {
  const current = microservice({ logging: { enabled: true, retentionDays: 90 }, image: 'ghcr.io/acme/orders:2.0.0' });
  const stableSpec: MicroserviceSpec = { image: 'ghcr.io/acme/orders:1.0.0', logging: { enabled: true, retentionDays: 30 } };
  const objects = renderMicroservice(current, platform(), {
    stableSpec,
    stableReplicas: 3,
    canary: { replicas: 1 },
    canarySubset: false,
  });

  it('gives each track its own ConfigMap', () => {
    const names = objects.filter((object) => object.kind === 'ConfigMap').map((object) => object.metadata.name);
    expect(names.sort()).toEqual(['orders-canary-fluent-bit', 'orders-fluent-bit']);
  });

  it('configures the stable track from the stable spec', () => {
    expect(find(objects, 'ConfigMap', 'orders-fluent-bit').data['fluent-bit.conf']).toMatch(/log_retention_days +30$/m);
  });

  it('configures the canary track from the current spec', () => {
    expect(find(objects, 'ConfigMap', 'orders-canary-fluent-bit').data['fluent-bit.conf']).toMatch(/log_retention_days +90$/m);
  });

  it('mounts the canary ConfigMap in canary pods', () => {
    const canary = find(objects, 'Deployment', 'orders-canary');
    expect(canary.spec.template.spec.volumes).toContainEqual({ name: 'fluent-bit-config', configMap: { name: 'orders-canary-fluent-bit' } });
  });
});
