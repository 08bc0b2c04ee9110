/** The Deployment that runs the stable track of a Microservice. */
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-33';
import type { RenderContext } from '../context.ts';
import type { PodTemplateBuilder } from './pod-template.ts';

export interface WorkloadDeploymentProps {
  readonly context: RenderContext;
  readonly pod: PodTemplateBuilder;
  /** Object name. @default the Microservice name */
  readonly name?: string;
  readonly track?: 'stable' | 'canary';
  /**
   * Desired pod count. Undefined leaves `spec.replicas` out of the applied configuration,
   * so that a HorizontalPodAutoscaler or `kubectl scale` owns the field.
   */
  readonly replicas: number | undefined;
}

export class WorkloadDeployment extends Construct {
  constructor(scope: Construct, id: string, props: WorkloadDeploymentProps) {
    super(scope, id);
    const { context, pod } = props;
    const track = props.track ?? 'stable';
    const selector = context.trackSelector(track);
    Object.assign(pod.labels, selector);

    new k8s.KubeDeployment(this, 'resource', {
      metadata: { name: props.name ?? context.name, labels: context.labels },
      spec: {
        replicas: props.replicas,
        selector: { matchLabels: selector },
        // Surge before removing an old pod, so a rollout never lowers serving capacity.
        strategy: {
          type: 'RollingUpdate',
          rollingUpdate: {
            maxSurge: k8s.IntOrString.fromString('25%'),
            maxUnavailable: k8s.IntOrString.fromNumber(0),
          },
        },
        template: pod.build(),
      },
    });
  }
}
