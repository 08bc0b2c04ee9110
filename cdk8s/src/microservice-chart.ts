/**
 * MicroserviceChart renders one Microservice into the Kubernetes objects that run it.
 * The operator and `flywheel synth` both use it, so GitOps users get exactly what the
 * operator would apply. Objects carry no ownerReferences here: the operator adds them
 * because only it knows the Microservice's UID.
 */
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { Microservice } from './api/microservice.ts';
import type { PlatformSettings } from './api/platform.ts';
import { RenderContext } from './context.ts';
import { WorkloadDeployment } from './workload/deployment.ts';
import { PodTemplateBuilder } from './workload/pod-template.ts';
import { WorkloadService } from './workload/service.ts';

export interface MicroserviceChartProps {
  readonly microservice: Microservice;
  readonly platform: PlatformSettings;
}

export class MicroserviceChart extends Chart {
  constructor(scope: Construct, id: string, props: MicroserviceChartProps) {
    super(scope, id, { namespace: props.microservice.metadata.namespace, disableResourceNameHashes: true });
    const context = new RenderContext(props.microservice, props.platform);
    const pod = new PodTemplateBuilder(context, context.labels);

    new WorkloadService(this, 'service', { context });

    // The Deployment comes last: the constructs above may add to the pod template.
    new WorkloadDeployment(this, 'deployment', { context, pod, replicas: context.spec.replicas ?? 1 });
  }
}
