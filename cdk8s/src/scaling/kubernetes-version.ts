/** Version gates for Kubernetes API fields that the scaling objects use. */
import type { PlatformSettings } from '../api/platform.ts';

/** `ContainerResource` metrics in autoscaling/v2 are on by default from Kubernetes 1.30 (HPAContainerMetrics, GA). */
export const CONTAINER_RESOURCE_METRICS_MINOR = 30;
/** PodDisruptionBudget `unhealthyPodEvictionPolicy` is on by default from Kubernetes 1.27 (beta, GA in 1.31). */
export const UNHEALTHY_POD_EVICTION_POLICY_MINOR = 27;

/**
 * True when the platform's Kubernetes version is 1.`minor` or later. Throws on a version
 * that is not of the form "1.NN", because every gate would otherwise be guessed.
 */
export function atLeastMinor(platform: PlatformSettings, minor: number): boolean {
  const match = /^1\.(\d+)$/.exec(platform.kubernetesVersion);
  if (!match?.[1]) {
    throw new Error(`platform Kubernetes version "${platform.kubernetesVersion}" is invalid; use the form 1.34`);
  }
  return Number(match[1]) >= minor;
}
