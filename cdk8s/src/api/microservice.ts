/** The Microservice custom resource (flywheel.dev/v1alpha1) as TypeScript types. */
import type { LoggingSpec } from './logging.ts';
import type { ReleaseSpec, ReleaseStatus } from './release.ts';
import type {
  AutoscalingSpec,
  CircuitBreakerSpec,
  DisruptionBudgetSpec,
  MeshSpec,
  RetriesSpec,
  ServiceAccountSpec,
} from './traffic.ts';
import type { EnvVarSpec, PortSpec, ProbesSpec, ResourcesSpec, SecuritySpec } from './workload.ts';

export const GROUP = 'flywheel.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'Microservice';
export const PLURAL = 'microservices';

export interface ObjectMeta {
  name: string;
  namespace: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
  creationTimestamp?: string;
}

export interface MicroserviceSpec {
  /** Container image, for example "ghcr.io/acme/orders:1.4.2". */
  image: string;
  /** Pod count when autoscaling is off. @default 1 */
  replicas?: number;
  ports?: PortSpec[];
  env?: EnvVarSpec[];
  resources?: ResourcesSpec;
  probes?: ProbesSpec;
  /** Replaces the image's ENTRYPOINT. */
  command?: string[];
  /** Replaces the image's CMD. */
  args?: string[];
  security?: SecuritySpec;
  mesh?: MeshSpec;
  /** Connection limits and outlier detection that callers' sidecars apply (Istio DestinationRule). */
  circuitBreaker?: CircuitBreakerSpec;
  /** Request timeout of the service's HTTP route, as a duration such as "15s". @default none (Istio) */
  timeout?: string;
  retries?: RetriesSpec;
  autoscaling?: AutoscalingSpec;
  disruptionBudget?: DisruptionBudgetSpec;
  serviceAccount?: ServiceAccountSpec;
  logging?: LoggingSpec;
  release?: ReleaseSpec;
}

/** A standard Kubernetes condition (metav1.Condition). */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export type Phase = 'Pending' | 'Progressing' | 'Ready' | 'Degraded';

export interface MicroserviceStatus {
  observedGeneration?: number;
  phase?: Phase;
  conditions?: Condition[];
  replicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  updatedReplicas?: number;
  /** Progress of the current or latest canary release. */
  release?: ReleaseStatus;
}

export interface Microservice {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: ObjectMeta;
  spec: MicroserviceSpec;
  status?: MicroserviceStatus;
}
