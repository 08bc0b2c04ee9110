/** Types of the workload part of a Microservice spec: image, ports, env, resources, probes. */

/** A network port that the service listens on, exposed through its ClusterIP Service. */
export interface PortSpec {
  /** IANA-style name (lowercase, at most 15 characters); probes refer to ports by this name. */
  name: string;
  /** Port on the Service. */
  port: number;
  /** Port the container listens on. @default the value of `port` */
  targetPort?: number;
  /** @default "TCP" */
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  /** Application protocol, used by Istio for protocol selection (for example "http", "grpc"). */
  appProtocol?: string;
}

/** A reference to one key of a Secret or ConfigMap in the Microservice's namespace. */
export interface KeyReference {
  name: string;
  key: string;
  /** When true, a missing object or key leaves the variable unset instead of failing the pod. */
  optional?: boolean;
}

/** One environment variable: a literal value or a reference to a Secret or ConfigMap key. */
export interface EnvVarSpec {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: KeyReference;
    configMapKeyRef?: KeyReference;
  };
}

/** CPU and memory as Kubernetes quantities, for example `{ cpu: "100m", memory: "128Mi" }`. */
export interface ResourceList {
  cpu?: string;
  memory?: string;
}

export interface ResourcesSpec {
  requests?: ResourceList;
  limits?: ResourceList;
}

/** A health check. Exactly one of `http` and `tcp` is set. */
export interface ProbeSpec {
  /** HTTP GET on `path` at the named port; any status from 200 to 399 passes. */
  http?: { path: string; port: string };
  /** A TCP connection to the named port. */
  tcp?: { port: string };
  /** Seconds after the container starts before the first check. @default 0 */
  initialDelaySeconds?: number;
  /** Seconds between checks. @default 10 */
  periodSeconds?: number;
  /** Seconds after which a check counts as failed. @default 1 */
  timeoutSeconds?: number;
  /** Consecutive failures that mark the check failed. @default 3 */
  failureThreshold?: number;
  /** Consecutive successes that mark the check passed; must be 1 for liveness and startup. @default 1 */
  successThreshold?: number;
}

export interface ProbesSpec {
  readiness?: ProbeSpec;
  liveness?: ProbeSpec;
  startup?: ProbeSpec;
}

/** The process identity; the pod always runs as non-root under Pod Security "restricted". */
export interface SecuritySpec {
  /** User ID for the containers. @default the image's USER, which must be non-root */
  runAsUser?: number;
  /** Group ID for the containers. @default the image's group */
  runAsGroup?: number;
  /** Mount the root filesystem read-only; /tmp is always a writable emptyDir. @default true */
  readOnlyRootFilesystem?: boolean;
}
