/**
 * The PodDisruptionBudget (policy/v1) of a Microservice. It selects every pod of the
 * service, stable and canary alike: the Service sends traffic to both tracks, so a drain
 * that took all canary pods at once would fail the canary's share of requests. The
 * disruption controller counts the expected pods across both Deployments.
 */
import { k8s } from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import { DEFAULT_MAX_UNAVAILABLE, DISRUPTION_BUDGET_MIN_PODS } from '../api/traffic.ts';
import type { MicroserviceSpec } from '../api/microservice.ts';
import type { RenderContext } from '../context.ts';
import { atLeastMinor, UNHEALTHY_POD_EVICTION_POLICY_MINOR } from './kubernetes-version.ts';
import { minimumPodCount } from './pod-count.ts';

/**
 * True when the spec enables the budget, or leaves it unset and runs enough pods for one.
 * A budget over a single pod would block node drains until someone deletes the pod.
 */
export function disruptionBudgetEnabled(spec: MicroserviceSpec): boolean {
  return spec.disruptionBudget?.enabled ?? minimumPodCount(spec) >= DISRUPTION_BUDGET_MIN_PODS;
}

export interface DisruptionBudgetProps {
  readonly context: RenderContext;
}

export class DisruptionBudget extends Construct {
  constructor(scope: Construct, id: string, props: DisruptionBudgetProps) {
    super(scope, id);
    const { context } = props;
    const budget = context.spec.disruptionBudget ?? {};

    new k8s.KubePodDisruptionBudget(this, 'resource', {
      metadata: { name: context.name, labels: context.labels },
      spec: {
        selector: { matchLabels: context.serviceSelector },
        ...(budget.minAvailable !== undefined
          ? { minAvailable: intOrString(budget.minAvailable) }
          : { maxUnavailable: intOrString(budget.maxUnavailable ?? DEFAULT_MAX_UNAVAILABLE) }),
        // Pods that are not Ready serve no traffic, so evicting them costs nothing, and
        // without this a crash-looping Deployment would block every node drain.
        unhealthyPodEvictionPolicy: atLeastMinor(context.platform, UNHEALTHY_POD_EVICTION_POLICY_MINOR) ? 'AlwaysAllow' : undefined,
      },
    });
  }
}

const intOrString = (value: number | string): k8s.IntOrString =>
  typeof value === 'number' ? k8s.IntOrString.fromNumber(value) : k8s.IntOrString.fromString(value);
