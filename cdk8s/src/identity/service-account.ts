/**
 * The ServiceAccount that a Microservice's pods run as, with an optional IAM role
 * through IRSA (IAM Roles for Service Accounts on Amazon EKS).
 */
import { k8s } from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import type { RenderContext } from '../context.ts';
import type { PodTemplateBuilder } from '../workload/pod-template.ts';

/** Annotation that EKS's pod identity webhook reads to give pods credentials of an IAM role. */
export const IRSA_ROLE_ANNOTATION = 'eks.amazonaws.com/role-arn';

export interface WorkloadServiceAccountProps {
  readonly context: RenderContext;
}

export class WorkloadServiceAccount extends Construct {
  readonly name: string;
  readonly automountToken: boolean;

  constructor(scope: Construct, id: string, props: WorkloadServiceAccountProps) {
    super(scope, id);
    const { context } = props;
    const spec = context.spec.serviceAccount ?? {};
    this.name = spec.name ?? context.name;
    // IRSA does not need this token: the webhook mounts its own projected token for STS.
    this.automountToken = spec.automountToken ?? false;

    new k8s.KubeServiceAccount(this, 'resource', {
      metadata: {
        name: this.name,
        labels: context.labels,
        annotations: spec.iamRoleArn ? { [IRSA_ROLE_ANNOTATION]: spec.iamRoleArn } : undefined,
      },
      automountServiceAccountToken: this.automountToken,
    });
  }

  /** Runs the pods of `pod` as this ServiceAccount. Call it for the pod template of every track. */
  assignTo(pod: PodTemplateBuilder): void {
    pod.serviceAccountName = this.name;
    pod.automountServiceAccountToken = this.automountToken;
  }
}
