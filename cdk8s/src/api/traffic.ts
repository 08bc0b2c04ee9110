/** Types of the traffic, scaling and identity part of a Microservice spec. */

/** Istio DestinationRule and VirtualService settings. */
export interface MeshSpec {
  /** Render Istio objects for this service when the platform enables the mesh. @default true */
  enabled?: boolean;
}

/**
 * Ejection of pods that keep failing from the load-balancing pool of callers (Istio
 * `outlierDetection`). Unset fields keep Istio's defaults, quoted from istio.io/api v1.28.
 */
export interface OutlierDetectionSpec {
  /** Consecutive 5xx responses (or connection failures) that eject a pod. A value of 0 turns this check off. @default 5 (Istio) */
  consecutive5xxErrors?: number;
  /** Consecutive 502, 503 or 504 responses that eject a pod. A value of 0 turns this check off. @default off (Istio) */
  consecutiveGatewayErrors?: number;
  /** Time between two ejection sweeps, as a duration such as "10s". @default "10s" (Istio) */
  interval?: string;
  /** Minimum ejection time. A pod ejected n times stays out n times as long. @default "30s" (Istio) */
  baseEjectionTime?: string;
  /** Maximum share of pods ejected at once, in percent (0 to 100). @default 10 (Istio) */
  maxEjectionPercent?: number;
  /** Outlier detection pauses while fewer than this percentage of pods are healthy (0 to 100). @default 0 (Istio) */
  minHealthPercent?: number;
}

/**
 * Limits that callers' sidecars enforce on traffic to this service, rendered into the
 * DestinationRule's `trafficPolicy`. Each limit applies per calling sidecar, not across
 * the mesh. Unset fields keep Istio's defaults, which are effectively unlimited.
 */
export interface CircuitBreakerSpec {
  /** Maximum HTTP/1.1 and TCP connections to the service (Istio `tcp.maxConnections`). */
  maxConnections?: number;
  /** Timeout of a TCP connect to a pod, as a duration such as "2s". @default "10s" (Istio) */
  connectTimeout?: string;
  /** Maximum requests queued while waiting for a connection (Istio `http.http1MaxPendingRequests`). */
  maxPendingRequests?: number;
  /** Maximum concurrent requests to the service, HTTP/1.1 and HTTP/2 alike (Istio `http.http2MaxRequests`). */
  maxRequests?: number;
  /** Maximum requests sent over one connection. A value of 1 turns keep-alive off. @default unlimited */
  maxRequestsPerConnection?: number;
  /** Maximum retries in flight to the service at once (Istio `http.maxRetries`). */
  maxRetries?: number;
  outlierDetection?: OutlierDetectionSpec;
}

/**
 * Conditions under which the caller's sidecar retries a request: Envoy's retry
 * policies (`x-envoy-retry-on`, `x-envoy-retry-grpc-on`) or an HTTP status code such as "503".
 */
export type RetryCondition =
  | '5xx'
  | 'gateway-error'
  | 'reset'
  | 'reset-before-request'
  | 'connect-failure'
  | 'envoy-ratelimited'
  | 'retriable-4xx'
  | 'refused-stream'
  | 'retriable-status-codes'
  | 'retriable-headers'
  | 'http3-post-connect-failure'
  | 'cancelled'
  | 'deadline-exceeded'
  | 'internal'
  | 'resource-exhausted'
  | 'unavailable'
  | `${number}`;

/**
 * Retry policy of the service's HTTP route. Without `spec.retries`, Istio's mesh-wide
 * default applies: 2 retries on connect-failure, refused-stream, unavailable and cancelled.
 */
export interface RetriesSpec {
  /** Retries after the first attempt. A value of 0 turns retries off, Istio's default ones included. */
  attempts: number;
  /** Timeout of each attempt, as a duration such as "2s". @default the request timeout */
  perTryTimeout?: string;
  /** @default Istio's: connect-failure, refused-stream, unavailable, cancelled */
  retryOn?: RetryCondition[];
}

/** HorizontalPodAutoscaler settings. The autoscaler then owns the Deployment's replica count. */
export interface AutoscalingSpec {
  /** @default true */
  enabled?: boolean;
  /** @default 1 */
  minReplicas?: number;
  /** Required while autoscaling is enabled. */
  maxReplicas?: number;
  /**
   * Average CPU use of the application container as a percentage of its CPU request.
   * Values above 100 are valid when the CPU limit is above the request.
   * @default 80 when neither target is set
   */
  targetCPUUtilizationPercentage?: number;
  /** Average memory use of the application container as a percentage of its memory request. */
  targetMemoryUtilizationPercentage?: number;
}

/**
 * PodDisruptionBudget settings. At most one of `maxUnavailable` and `minAvailable` is
 * set. Each is a pod count or a percentage string such as "25%".
 */
export interface DisruptionBudgetSpec {
  /** @default true when the service runs 2 or more pods (`minReplicas` with autoscaling), else false */
  enabled?: boolean;
  /** @default 1 when minAvailable is unset */
  maxUnavailable?: number | string;
  minAvailable?: number | string;
}

/** The ServiceAccount that Flywheel creates for the service's pods. */
export interface ServiceAccountSpec {
  /** @default the Microservice name */
  name?: string;
  /** IAM role for the pods through IRSA, set as the `eks.amazonaws.com/role-arn` annotation. */
  iamRoleArn?: string;
  /** Mount a Kubernetes API token into the pods. IRSA does not need it. @default false */
  automountToken?: boolean;
}

/** CPU target of an autoscaler whose spec sets no target, the same as the HorizontalPodAutoscaler's own. */
export const DEFAULT_TARGET_CPU_UTILIZATION_PERCENTAGE = 80;
export const DEFAULT_MIN_REPLICAS = 1;
/** A disruption budget is on by default from this many pods. */
export const DISRUPTION_BUDGET_MIN_PODS = 2;
export const DEFAULT_MAX_UNAVAILABLE = 1;
