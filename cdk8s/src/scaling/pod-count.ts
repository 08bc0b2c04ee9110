/** Whether the autoscaler owns the pod count, and the fewest pods the service runs. */
import type { MicroserviceSpec } from '../api/microservice.ts';
import { DEFAULT_MIN_REPLICAS } from '../api/traffic.ts';

/** An `autoscaling` block turns the autoscaler on unless it sets `enabled: false`. */
export const autoscalingEnabled = (spec: MicroserviceSpec): boolean =>
  spec.autoscaling !== undefined && spec.autoscaling.enabled !== false;

/** Pods the service runs when nothing scales it up: `minReplicas` while autoscaling, else `replicas`. */
export function minimumPodCount(spec: MicroserviceSpec): number {
  if (autoscalingEnabled(spec)) return spec.autoscaling?.minReplicas ?? DEFAULT_MIN_REPLICAS;
  return spec.replicas ?? 1;
}
