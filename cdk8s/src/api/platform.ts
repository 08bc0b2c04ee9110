/** Cluster-wide settings that shape every rendered Microservice, set once per installation. */

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
  };
}

/** Settings used when the operator or `flywheel synth` is given none. */
export const DEFAULT_PLATFORM: PlatformSettings = {
  kubernetesVersion: '1.34',
  mesh: { enabled: true },
  logging: { enabled: false },
};
