/**
 * Connects the release state machine to the cluster: reads the live Deployments and
 * Istio objects from the informer caches, runs due analysis against Prometheus, plans,
 * and updates the release metrics. The reconciler persists the planned status before it
 * applies the rendered objects, so that every decision survives an operator restart.
 */
import type { Microservice } from '../../../cdk8s/src/api/microservice.ts';
import type { PlatformSettings } from '../../../cdk8s/src/api/platform.ts';
import type { ReleasePhase } from '../../../cdk8s/src/api/release.ts';
import { RenderContext } from '../../../cdk8s/src/context.ts';
import { CANARY_SUBSET, canaryName } from '../../../cdk8s/src/release/state.ts';
import { hasHttpPort, meshEnabled } from '../../../cdk8s/src/traffic/mesh.ts';
import type { KubeObject } from '../../../cdk8s/src/render.ts';
import { MERGE_PATCH, type KubeClient } from '../kube/client.ts';
import { ApiError } from '../kube/errors.ts';
import { MICROSERVICE, objectPath } from '../kube/resources.ts';
import type { Logger } from '../log.ts';
import { typeKey } from '../microservice/owned-types.ts';
import type { ObjectCache } from '../runtime/cache.ts';
import { analysisResults, canaryWeight, releasePhase } from '../runtime/metrics.ts';
import { PrometheusClient, runAnalysis } from './analysis.ts';
import { COMMAND_ANNOTATION, COMMAND_ID_ANNOTATION, commandFromAnnotations } from './commands.ts';
import { analysisDue, planRelease } from './plan.ts';
import type { ObservedDeployment, ReleaseObservation, ReleasePlan } from './types.ts';

const PHASES: ReleasePhase[] = ['Idle', 'Progressing', 'Paused', 'Promoted', 'Aborted'];

export interface ReleaseDependencies {
  client: KubeClient;
  /** Informers of the owned kinds, keyed by typeKey(apiVersion, kind). */
  owned: Map<string, ObjectCache<KubeObject>>;
  platform: PlatformSettings;
  /** Clock, replaceable in tests. */
  now?: () => Date;
}

/** Maps a Microservice to the value of the owner index of its children. */
export type OwnerIndex = (namespace: string, name: string) => string;

export class Releases {
  private readonly deps: ReleaseDependencies;
  private readonly prometheus: PrometheusClient | undefined;
  private readonly ownerIndex: OwnerIndex;

  constructor(deps: ReleaseDependencies, ownerIndex: OwnerIndex) {
    this.deps = deps;
    this.ownerIndex = ownerIndex;
    const address = deps.platform.prometheus?.address;
    this.prometheus = address ? new PrometheusClient(address) : undefined;
  }

  /** Plans the next release step of `microservice`, running analysis first when it is due. */
  async plan(microservice: Microservice, log: Logger): Promise<ReleasePlan> {
    const { namespace, name } = microservice.metadata;
    const now = this.deps.now?.() ?? new Date();
    const spec = microservice.spec;
    const previous = microservice.status?.release;
    const parsed = commandFromAnnotations(microservice.metadata.annotations);
    // Weights are exact only where a VirtualService with an HTTP route exists.
    const context = new RenderContext(microservice, this.deps.platform);
    const meshRouted = meshEnabled(context) && hasHttpPort(context);

    let analysis;
    const canaryAnalysis = spec.release?.canary?.analysis;
    if (canaryAnalysis && previous?.canaryRevision && analysisDue(spec, previous, now)) {
      const { run, outcomes } = await runAnalysis(canaryAnalysis, { service: name, namespace, revision: previous.canaryRevision }, this.prometheus);
      for (const outcome of outcomes) analysisResults.inc({ namespace, name, metric: outcome.name, result: outcome.result });
      log.debug('canary analysis ran', { result: run.result, metric: run.metric, value: run.value });
      analysis = run;
    }

    const plan = planRelease({
      spec,
      previous,
      observed: this.observe(namespace, name),
      now,
      meshEnabled: meshRouted,
      analysis,
      command: parsed && 'command' in parsed ? parsed.command : undefined,
    });
    if (parsed && 'invalid' in parsed) plan.events.push({ type: 'Warning', reason: 'InvalidReleaseCommand', message: parsed.invalid });

    for (const phase of PHASES) releasePhase.set({ namespace, name, phase }, phase === plan.status.phase ? 1 : 0);
    canaryWeight.set({ namespace, name }, plan.status.weight);
    return plan;
  }

  /**
   * Removes the command annotations once the status records the command. The patch
   * carries the resourceVersion, so a command written in the meantime is not lost: the
   * patch then fails with 409 and the next reconcile handles the new command.
   */
  async clearCommand(microservice: Microservice): Promise<boolean> {
    const annotations = microservice.metadata.annotations ?? {};
    if (!(COMMAND_ANNOTATION in annotations) && !(COMMAND_ID_ANNOTATION in annotations)) return false;
    const { namespace, name, resourceVersion } = microservice.metadata;
    try {
      await this.deps.client.request('PATCH', objectPath(MICROSERVICE, namespace, name), {
        body: { metadata: { resourceVersion, annotations: { [COMMAND_ANNOTATION]: null, [COMMAND_ID_ANNOTATION]: null } } },
        contentType: MERGE_PATCH,
      });
    } catch (error) {
      if (error instanceof ApiError && (error.status === 409 || error.status === 404)) return false;
      throw new Error(`failed to remove the release command annotations from Microservice ${namespace}/${name}`, { cause: error });
    }
    return true;
  }

  /** Forgets the metrics of a deleted Microservice. */
  forget(namespace: string, name: string): void {
    for (const phase of PHASES) releasePhase.remove({ namespace, name, phase });
    canaryWeight.remove({ namespace, name });
  }

  private observe(namespace: string, name: string): ReleaseObservation {
    const deployments = this.deps.owned.get(typeKey('apps/v1', 'Deployment'));
    const owned = (kind: string) => this.deps.owned.get(typeKey('networking.istio.io/v1', kind))?.byIndex(this.ownerIndex(namespace, name)) ?? [];
    return {
      stable: deployments?.get(namespace, name) as ObservedDeployment | undefined,
      canary: deployments?.get(namespace, canaryName(name)) as ObservedDeployment | undefined,
      canarySubsetLive: owned('DestinationRule').some(hasCanarySubset),
      canaryRouteLive: owned('VirtualService').some(routesToCanary),
    };
  }
}

function hasCanarySubset(rule: KubeObject): boolean {
  const subsets = (rule.spec as { subsets?: Array<{ name?: string }> } | undefined)?.subsets ?? [];
  return subsets.some((subset) => subset.name === CANARY_SUBSET);
}

function routesToCanary(service: KubeObject): boolean {
  type Route = { route?: Array<{ destination?: { subset?: string } }> };
  const spec = service.spec as { http?: Route[]; tcp?: Route[]; tls?: Route[] } | undefined;
  const routes = [...(spec?.http ?? []), ...(spec?.tcp ?? []), ...(spec?.tls ?? [])];
  return routes.some((route) => (route.route ?? []).some((destination) => destination.destination?.subset === CANARY_SUBSET));
}
