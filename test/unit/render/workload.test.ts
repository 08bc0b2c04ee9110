import { describe, expect, it } from 'vitest';
import type { Microservice, MicroserviceSpec } from '../../../cdk8s/src/api/microservice.ts';
import { DEFAULT_PLATFORM } from '../../../cdk8s/src/api/platform.ts';
import { renderMicroservice, type KubeObject } from '../../../cdk8s/src/render.ts';

const microservice = (spec: Partial<MicroserviceSpec> = {}): Microservice => ({
  apiVersion: 'flywheel.dev/v1alpha1',
  kind: 'Microservice',
  metadata: { name: 'orders', namespace: 'shop', uid: 'u1', generation: 1 },
  spec: { image: 'ghcr.io/acme/orders:1.0.0', ...spec },
});

const find = (objects: KubeObject[], kind: string) => objects.find((object) => object.kind === kind) as any;

describe('workload rendering', () => {
  const objects = renderMicroservice(
    microservice({
      replicas: 3,
      ports: [{ name: 'http', port: 80, targetPort: 8080 }],
      probes: { readiness: { http: { path: '/readyz', port: 'http' } }, liveness: { tcp: { port: 'http' } } },
      env: [
        { name: 'PLAIN', value: 'x' },
        { name: 'FROM_SECRET', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
      ],
      resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
      command: ['node'],
      args: ['main.js'],
    }),
    DEFAULT_PLATFORM,
  );
  const deployment = find(objects, 'Deployment');
  const service = find(objects, 'Service');
  const pod = deployment.spec.template.spec;
  const app = pod.containers[0];

  it('renders a Deployment and a Service in the namespace', () => {
    expect(deployment.metadata).toMatchObject({ name: 'orders', namespace: 'shop' });
    expect(service.metadata).toMatchObject({ name: 'orders', namespace: 'shop' });
  });

  it('sets the recommended labels', () => {
    expect(deployment.metadata.labels).toMatchObject({
      'app.kubernetes.io/name': 'orders',
      'app.kubernetes.io/instance': 'orders',
      'app.kubernetes.io/managed-by': 'flywheel',
    });
  });

  it('selects stable pods that carry the selector labels', () => {
    expect(deployment.spec.selector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'orders',
      'app.kubernetes.io/instance': 'orders',
      'flywheel.dev/track': 'stable',
    });
    expect(deployment.spec.template.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
  });

  it('points the Service at every track', () => {
    expect(service.spec.selector).toEqual({ 'app.kubernetes.io/name': 'orders', 'app.kubernetes.io/instance': 'orders' });
    expect(service.spec.type).toBe('ClusterIP');
    expect(service.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }]);
  });

  it('meets Pod Security restricted at pod level', () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
  });

  it('meets Pod Security restricted at container level', () => {
    expect(app.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
    });
  });

  it('does not mount a service account token', () => {
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it('maps probes to the named port', () => {
    expect(app.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(app.livenessProbe.tcpSocket).toEqual({ port: 'http' });
  });

  it('maps env values and references', () => {
    expect(app.env).toEqual([
      { name: 'PLAIN', value: 'x' },
      { name: 'FROM_SECRET', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
    ]);
  });

  it('passes resources, command and args', () => {
    expect(app.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } });
    expect(app.command).toEqual(['node']);
    expect(app.args).toEqual(['main.js']);
  });

  it('gives the app a writable /tmp', () => {
    expect(app.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    expect(pod.volumes).toContainEqual({ name: 'tmp', emptyDir: {} });
  });

  it('sets replicas', () => {
    expect(deployment.spec.replicas).toBe(3);
  });
});

describe('workload defaults', () => {
  const objects = renderMicroservice(microservice(), DEFAULT_PLATFORM);

  it('renders one replica', () => {
    expect(find(objects, 'Deployment').spec.replicas).toBe(1);
  });

  it('renders no Service without ports', () => {
    expect(find(objects, 'Service')).toBeUndefined();
  });
});
