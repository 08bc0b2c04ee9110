/** Cluster-wide settings that shape every rendered Microservice, set once per installation. */
import type { ResourcesSpec } from './workload.ts';

/**
 * AWS for Fluent Bit 2.32.3, which contains Fluent Bit 1.9.10. Pinned to a version tag,
 * which AWS publishes as immutable, because the `stable` and `latest` tags move.
 */
export const FLUENT_BIT_IMAGE = 'public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.3';

export interface PlatformSettings {
  /** Kubernetes minor version of the target cluster, as "1.34"; decides version-gated features. */
  kubernetesVersion: string;
  mesh: {
    /** Render Istio DestinationRules and VirtualServices. */
    enabled: boolean;
  };
  logging: {
    /** Default for Microservices that do not set `spec.logging.enabled`. */
    enabled: boolean;
    /** AWS region of the CloudWatch Logs endpoint, such as "eu-west-1". @default "us-east-1" */
    region: string;
    /** Image of the Fluent Bit sidecar, which must contain the `cloudwatch_logs` output. @default FLUENT_BIT_IMAGE */
    fluentBitImage: string;
    /** CPU and memory of the sidecar. @default requests 50m CPU and 50Mi memory, limit 250Mi memory */
    sidecarResources: ResourcesSpec;
  };
  /** Prometheus that canary analysis queries; canary analysis is inconclusive without it. */
  prometheus?: {
    /** Base URL of the HTTP API, for example "http://prometheus.monitoring:9090". */
    address?: string;
  };
}

/** Settings used when the operator or `flywheel synth` is given none. */
export const DEFAULT_PLATFORM: PlatformSettings = {
  kubernetesVersion: '1.34',
  mesh: { enabled: true },
  logging: {
    enabled: false,
    region: 'us-east-1',
    fluentBitImage: FLUENT_BIT_IMAGE,
    sidecarResources: { requests: { cpu: '50m', memory: '50Mi' }, limits: { memory: '250Mi' } },
  },
};
