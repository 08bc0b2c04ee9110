/**
 * The HorizontalPodAutoscaler (autoscaling/v2) of a Microservice's Deployment. While it
 * exists, the Deployment is rendered without `spec.replicas`, so the autoscaler owns
 * the replica count.
 */
import { k8s } from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import { DEFAULT_MIN_REPLICAS, DEFAULT_TARGET_CPU_UTILIZATION_PERCENTAGE } from '../api/traffic.ts';
import { APP_CONTAINER, type RenderContext } from '../context.ts';
import { atLeastMinor, CONTAINER_RESOURCE_METRICS_MINOR } from './kubernetes-version.ts';

export interface AutoscalerProps {
  readonly context: RenderContext;
  /** Name of the Deployment to scale. @default the Microservice name */
  readonly deploymentName?: string;
}

export class Autoscaler extends Construct {
  constructor(scope: Construct, id: string, props: AutoscalerProps) {
    super(scope, id);
    const { context } = props;
    const autoscaling = context.spec.autoscaling ?? {};
    if (autoscaling.maxReplicas === undefined) {
      throw new Error(
        `spec.autoscaling.maxReplicas is missing in Microservice ${context.namespace}/${context.name}; ` +
          'set it, or set spec.autoscaling.enabled to false',
      );
    }

    new k8s.KubeHorizontalPodAutoscalerV2(this, 'resource', {
      metadata: { name: context.name, labels: context.labels },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: props.deploymentName ?? context.name },
        minReplicas: autoscaling.minReplicas ?? DEFAULT_MIN_REPLICAS,
        maxReplicas: autoscaling.maxReplicas,
        metrics: utilizationMetrics(context),
      },
    });
  }
}

/**
 * Builds one utilization metric per target, CPU first. The spec without targets gets a
 * CPU metric at the default target.
 */
function utilizationMetrics(context: RenderContext): k8s.MetricSpecV2[] {
  const { targetCPUUtilizationPercentage: cpu, targetMemoryUtilizationPercentage: memory } = context.spec.autoscaling ?? {};
  const targets: Array<[string, number]> = [];
  if (cpu !== undefined || memory === undefined) targets.push(['cpu', cpu ?? DEFAULT_TARGET_CPU_UTILIZATION_PERCENTAGE]);
  if (memory !== undefined) targets.push(['memory', memory]);

  // Per-container metrics leave out sidecars (Istio's proxy, the log shipper), whose
  // requests would otherwise dilute the average. Older clusters only have per-pod ones.
  const perContainer = atLeastMinor(context.platform, CONTAINER_RESOURCE_METRICS_MINOR);
  return targets.map(([name, averageUtilization]): k8s.MetricSpecV2 => {
    const target = { type: 'Utilization', averageUtilization };
    return perContainer
      ? { type: 'ContainerResource', containerResource: { name, container: APP_CONTAINER, target } }
      : { type: 'Resource', resource: { name, target } };
  });
}
