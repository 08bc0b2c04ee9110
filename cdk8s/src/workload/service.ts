/** The ClusterIP Service in front of all pods of a Microservice, stable and canary. */
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-33';
import type { RenderContext } from '../context.ts';

export interface WorkloadServiceProps {
  readonly context: RenderContext;
}

export class WorkloadService extends Construct {
  constructor(scope: Construct, id: string, props: WorkloadServiceProps) {
    super(scope, id);
    const { context } = props;
    const ports = context.spec.ports ?? [];
    // A Service needs at least one port, so a Microservice without ports gets none.
    if (ports.length === 0) return;

    new k8s.KubeService(this, 'resource', {
      metadata: { name: context.name, labels: context.labels },
      spec: {
        type: 'ClusterIP',
        selector: context.serviceSelector,
        ports: ports.map((port) => ({
          name: port.name,
          port: port.port,
          targetPort: k8s.IntOrString.fromNumber(port.targetPort ?? port.port),
          protocol: port.protocol ?? 'TCP',
          appProtocol: port.appProtocol,
        })),
      },
    });
  }
}
