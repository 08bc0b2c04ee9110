/**
 * A mutable pod template that features extend before the Deployment is rendered: the
 * logging feature adds a sidecar and a volume, the identity feature names the
 * ServiceAccount. The application container is built from the spec here.
 */
import { k8s } from 'cdk8s-plus-33';
import type { EnvVarSpec, ProbeSpec, ResourceList } from '../api/workload.ts';
import { APP_CONTAINER, type RenderContext } from '../context.ts';

const TMP_VOLUME = 'tmp';

export class PodTemplateBuilder {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string> = {};
  readonly volumes: k8s.Volume[] = [];
  readonly initContainers: k8s.Container[] = [];
  readonly sidecars: k8s.Container[] = [];
  readonly appEnv: k8s.EnvVar[];
  readonly appVolumeMounts: k8s.VolumeMount[] = [];
  serviceAccountName: string | undefined;
  automountServiceAccountToken = false;
  fsGroup: number | undefined;
  terminationGracePeriodSeconds: number | undefined;
  private readonly context: RenderContext;

  constructor(context: RenderContext, labels: Record<string, string>) {
    this.context = context;
    this.labels = { ...labels };
    this.appEnv = (context.spec.env ?? []).map(toEnvVar);
    this.volumes.push({ name: TMP_VOLUME, emptyDir: {} });
    this.appVolumeMounts.push({ name: TMP_VOLUME, mountPath: '/tmp' });
  }

  build(): k8s.PodTemplateSpec {
    const pod: k8s.PodSpec = {
      automountServiceAccountToken: this.automountServiceAccountToken,
      serviceAccountName: this.serviceAccountName,
      terminationGracePeriodSeconds: this.terminationGracePeriodSeconds,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: this.context.spec.security?.runAsUser,
        runAsGroup: this.context.spec.security?.runAsGroup,
        fsGroup: this.fsGroup,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      initContainers: this.initContainers.length > 0 ? this.initContainers : undefined,
      containers: [this.appContainer(), ...this.sidecars],
      volumes: this.volumes,
    };
    return {
      metadata: {
        labels: this.labels,
        annotations: Object.keys(this.annotations).length > 0 ? this.annotations : undefined,
      },
      spec: pod,
    };
  }

  private appContainer(): k8s.Container {
    const spec = this.context.spec;
    const probes = spec.probes ?? {};
    return {
      name: APP_CONTAINER,
      image: spec.image,
      command: spec.command,
      args: spec.args,
      ports: spec.ports?.map((port) => ({
        name: port.name,
        containerPort: port.targetPort ?? port.port,
        protocol: port.protocol ?? 'TCP',
      })),
      env: this.appEnv.length > 0 ? this.appEnv : undefined,
      resources: toResources(spec.resources?.requests, spec.resources?.limits),
      readinessProbe: probes.readiness && toProbe(probes.readiness),
      livenessProbe: probes.liveness && toProbe(probes.liveness),
      startupProbe: probes.startup && toProbe(probes.startup),
      securityContext: restrictedContainerSecurity(spec.security?.readOnlyRootFilesystem ?? true),
      volumeMounts: this.appVolumeMounts,
    };
  }
}

/** Returns the container securityContext that Pod Security "restricted" requires, for any container. */
export function restrictedContainerSecurity(readOnlyRootFilesystem: boolean): k8s.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    runAsNonRoot: true,
    readOnlyRootFilesystem,
  };
}

function toEnvVar(env: EnvVarSpec): k8s.EnvVar {
  const secret = env.valueFrom?.secretKeyRef;
  const configMap = env.valueFrom?.configMapKeyRef;
  if (secret) return { name: env.name, valueFrom: { secretKeyRef: { ...secret } } };
  if (configMap) return { name: env.name, valueFrom: { configMapKeyRef: { ...configMap } } };
  return { name: env.name, value: env.value ?? '' };
}

function toQuantities(list: ResourceList | undefined): Record<string, k8s.Quantity> | undefined {
  if (!list) return undefined;
  const quantities: Record<string, k8s.Quantity> = {};
  for (const [resource, value] of Object.entries(list)) {
    if (value !== undefined) quantities[resource] = k8s.Quantity.fromString(String(value));
  }
  return Object.keys(quantities).length > 0 ? quantities : undefined;
}

function toResources(requests?: ResourceList, limits?: ResourceList): k8s.ResourceRequirements | undefined {
  const resources = { requests: toQuantities(requests), limits: toQuantities(limits) };
  return resources.requests || resources.limits ? resources : undefined;
}

function toProbe(probe: ProbeSpec): k8s.Probe {
  return {
    httpGet: probe.http && { path: probe.http.path, port: k8s.IntOrString.fromString(probe.http.port) },
    tcpSocket: probe.tcp && { port: k8s.IntOrString.fromString(probe.tcp.port) },
    initialDelaySeconds: probe.initialDelaySeconds,
    periodSeconds: probe.periodSeconds,
    timeoutSeconds: probe.timeoutSeconds,
    failureThreshold: probe.failureThreshold,
    successThreshold: probe.successThreshold,
  };
}
