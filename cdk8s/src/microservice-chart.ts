/**
 * MicroserviceChart renders one Microservice into the Kubernetes objects that run it.
 * The operator and `flywheel synth` both use it, so GitOps users get exactly what the
 * operator would apply. Objects carry no ownerReferences here: the operator adds them
 * because only it has the Microservice's UID.
 */
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { Microservice } from './api/microservice.ts';
import type { PlatformSettings } from './api/platform.ts';
import { RenderContext } from './context.ts';
import { WorkloadServiceAccount } from './identity/service-account.ts';
import { LogShipping } from './logging/log-shipping.ts';
import { REVISION_LABEL, revisionOf, stableTrackSpec } from './release/revision.ts';
import { CANARY_SUBSET, STABLE_SUBSET, canaryName, type ReleaseRenderState } from './release/state.ts';
import { Autoscaler } from './scaling/autoscaler.ts';
import { DisruptionBudget, disruptionBudgetEnabled } from './scaling/disruption-budget.ts';
import { autoscalingEnabled } from './scaling/pod-count.ts';
import { MeshDestinationRule, type DestinationRuleSubset } from './traffic/destination-rule.ts';
import { hasHttpPort, meshEnabled } from './traffic/mesh.ts';
import type { WeightedTarget } from './traffic/routes.ts';
import { MeshVirtualService } from './traffic/virtual-service.ts';
import { WorkloadDeployment } from './workload/deployment.ts';
import { PodTemplateBuilder } from './workload/pod-template.ts';
import { WorkloadService } from './workload/service.ts';

export interface MicroserviceChartProps {
  readonly microservice: Microservice;
  readonly platform: PlatformSettings;
  /**
   * Decisions of a running canary release: the stable track's spec and pod counts, the
   * canary Deployment and the traffic weights.
   * @default the steady state: one stable Deployment running the current spec
   */
  readonly release?: ReleaseRenderState;
}

export class MicroserviceChart extends Chart {
  constructor(scope: Construct, id: string, props: MicroserviceChartProps) {
    super(scope, id, { namespace: props.microservice.metadata.namespace, disableResourceNameHashes: true });
    const { microservice, platform, release } = props;
    // During a release the stable track keeps the pod fields of the last promoted spec.
    const stable = release ? { ...microservice, spec: stableTrackSpec(microservice.spec, release.stableSpec) } : microservice;
    const context = new RenderContext(stable, platform);
    const pod = podTemplate(context);
    new LogShipping(this, 'logging', { context, pod });
    const serviceAccount = new WorkloadServiceAccount(this, 'service-account', { context });
    serviceAccount.assignTo(pod);

    new WorkloadService(this, 'service', { context });

    // The VirtualService has only an HTTP route, so a service without HTTP ports gets none.
    if (meshEnabled(context)) {
      new MeshDestinationRule(this, 'destination-rule', { context, subsets: trackSubsets(context, release) });
      if (hasHttpPort(context)) new MeshVirtualService(this, 'virtual-service', { context, targets: trackTargets(release) });
    }

    const autoscaled = autoscalingEnabled(context.spec);
    if (autoscaled) new Autoscaler(this, 'autoscaler', { context });
    if (disruptionBudgetEnabled(context.spec)) new DisruptionBudget(this, 'disruption-budget', { context });

    if (release?.canary) {
      const canaryContext = new RenderContext(microservice, platform);
      const canaryPod = podTemplate(canaryContext);
      serviceAccount.assignTo(canaryPod);
      new LogShipping(this, 'canary-logging', { context: canaryContext, pod: canaryPod, name: canaryName(microservice.metadata.name) });
      new WorkloadDeployment(this, 'canary', {
        context: canaryContext,
        pod: canaryPod,
        name: canaryName(microservice.metadata.name),
        track: 'canary',
        replicas: release.canary.replicas,
      });
    }

    // The Deployment comes last: the constructs above may add to the pod template.
    // Without replicas in the applied configuration, the autoscaler or `kubectl scale` owns the field.
    const replicas = release?.stableReplicas ?? (autoscaled ? undefined : (context.spec.replicas ?? 1));
    new WorkloadDeployment(this, 'deployment', { context, pod, replicas });
  }
}

/**
 * Starts the pod template of one track. Features that change the pod template must do
 * so for each track's builder, so that stable and canary pods differ only by spec.
 */
function podTemplate(context: RenderContext): PodTemplateBuilder {
  return new PodTemplateBuilder(context, { ...context.labels, [REVISION_LABEL]: revisionOf(context.spec) });
}

/** Returns the stable and canary subsets while a release needs them, and none otherwise. */
function trackSubsets(context: RenderContext, release: ReleaseRenderState | undefined): DestinationRuleSubset[] {
  if (!release?.canarySubset) return [];
  return [
    { name: STABLE_SUBSET, labels: context.trackSelector('stable') },
    { name: CANARY_SUBSET, labels: context.trackSelector('canary') },
  ];
}

/** Returns the canary weight split between the two subsets, or undefined to send every request to the service. */
function trackTargets(release: ReleaseRenderState | undefined): WeightedTarget[] | undefined {
  if (release?.canaryWeight === undefined) return undefined;
  return [
    { subset: STABLE_SUBSET, weight: 100 - release.canaryWeight },
    { subset: CANARY_SUBSET, weight: release.canaryWeight },
  ];
}
