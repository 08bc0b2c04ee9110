/**
 * The Microservice reconciler. Each pass renders the desired objects, applies those that
 * differ from the cache, prunes owned objects the spec no longer renders, and then
 * writes status. A pass that wrote objects returns early: the watch events of those
 * writes bring the key back, and the next pass computes status from what the API
 * server then holds, instead of from state this pass only assumed.
 */
import type { KubeObject } from '../../../cdk8s/src/render.ts';
import { API_VERSION, KIND, type Microservice } from '../../../cdk8s/src/api/microservice.ts';
import type { PlatformSettings } from '../../../cdk8s/src/api/platform.ts';
import type { KubeClient } from '../kube/client.ts';
import { isSubset } from '../kube/compare.ts';
import { isNotFound } from '../kube/errors.ts';
import type { EventRecorder } from '../kube/events.ts';
import { MICROSERVICE, objectPath, resourceTypeOf } from '../kube/resources.ts';
import type { Logger } from '../log.ts';
import { FIELD_MANAGER, RECHECK_AFTER_WRITE_MS } from '../runtime/constants.ts';
import type { ReconcileRequest, ReconcileResult } from '../runtime/controller.ts';
import type { ObjectCache } from '../runtime/cache.ts';
import { failureOf, OwnershipConflictError } from './errors.ts';
import { typeKey } from './owned-types.ts';
import { DesiredStateCache } from './desired.ts';
import { handOverReplicas } from './replicas-handoff.ts';
import { computeStatus, statusChanged, type DeploymentLike, type Failure } from './status.ts';
import type { ReleaseStatus } from '../../../cdk8s/src/api/release.ts';
import { Releases } from '../release/releases.ts';
import { releaseChanged, withRelease } from '../release/status.ts';

export interface ReconcilerDependencies {
  client: KubeClient;
  microservices: ObjectCache<Microservice>;
  /** Informers of the owned kinds, keyed by typeKey(apiVersion, kind). */
  owned: Map<string, ObjectCache<KubeObject>>;
  events: EventRecorder;
  platform: PlatformSettings;
}

interface OwnerReference {
  uid: string;
  controller?: boolean;
}

/** A desired object that differs from its cached copy, or has none. */
interface Change {
  object: KubeObject;
  live: KubeObject | undefined;
}

export const ownerIndexValue = (namespace: string, name: string): string => `${namespace}/${name}`;

export class MicroserviceReconciler {
  private readonly deps: ReconcilerDependencies;
  readonly desired: DesiredStateCache;
  readonly releases: Releases;

  constructor(deps: ReconcilerDependencies) {
    this.deps = deps;
    this.desired = new DesiredStateCache(deps.platform);
    this.releases = new Releases(deps, ownerIndexValue);
  }

  readonly reconcile = async ({ namespace, name, log }: ReconcileRequest): Promise<ReconcileResult> => {
    const microservice = this.deps.microservices.get(namespace, name);
    // Owned objects carry ownerReferences, so the garbage collector removes them.
    if (!microservice || microservice.metadata.deletionTimestamp) return {};

    // The release step's decisions are written to status before any child changes, so
    // that a restarted operator continues the same step instead of repeating or losing it.
    // A new Microservice has no step yet. Its first release status, with its first
    // revision as stable, is the same on every pass until stored. So it goes with the
    // status write at the end of this pass, one write fewer per new Microservice.
    const release = await this.releases.plan(microservice, log);
    const firstRelease = microservice.status?.release === undefined && release.events.length === 0;
    if (!firstRelease && releaseChanged(microservice.status?.release, release.status)) {
      // The children still run the generation observed last, so this write keeps that
      // generation. Stamping the new one would report it Ready before it rolled out.
      const observed = { ...microservice, metadata: { ...microservice.metadata, generation: microservice.status?.observedGeneration } };
      await this.writeStatus(observed, release.failure, log, release.status);
      for (const event of release.events) void this.deps.events.record(microservice, event.type, event.reason, event.message);
    }
    const current = this.deps.microservices.get(namespace, name) ?? microservice;

    let writes = 0;
    try {
      const desired = this.desired.get(current, release.render);
      writes += await this.applyChildren(current, desired, log);
      writes += await this.pruneChildren(current, desired, log);
      if (await this.releases.clearCommand(current)) writes += 1;
    } catch (error) {
      await this.reportFailure(current, failureOf(error), log);
      throw error;
    }
    // The status follows the objects just applied: a Deployment written in this pass has
    // not been observed by its controller yet, so the Microservice shows Progressing.
    await this.writeStatus(this.deps.microservices.get(namespace, name) ?? current, release.failure, log, release.status);
    if (writes > 0) return { requeueAfter: Math.min(RECHECK_AFTER_WRITE_MS, release.requeueAfterMs ?? Infinity) };
    return { requeueAfter: release.requeueAfterMs };
  };

  /**
   * Applies the desired objects that differ from the cache. Ownership checks run
   * together, then every object but the Deployment is applied concurrently, and the
   * Deployment comes last, so that its first pods find their ServiceAccount and
   * ConfigMap. One Event per verb lists what was created or updated.
   */
  private async applyChildren(microservice: Microservice, desired: KubeObject[], log: Logger): Promise<number> {
    const changes = desired
      .map((object) => ({ object, live: this.informerFor(object).get(object.metadata.namespace, object.metadata.name) }))
      .filter(({ object, live }) => !live || !isSubset(object, live));
    if (changes.length === 0) return 0;

    await settleAll(changes.filter(({ live }) => !live).map(({ object }) => this.assertNotTaken(microservice, object)));

    const written: Change[] = [];
    let writes = 0;
    const applyOne = async (change: Change): Promise<void> => {
      const { object, live } = change;
      if (live && (await handOverReplicas(this.deps.client, object, live))) writes += 1;
      const type = resourceTypeOf(object.apiVersion, object.kind);
      const applied = await this.deps.client.apply<KubeObject>(objectPath(type, object.metadata.namespace, object.metadata.name), object, FIELD_MANAGER);
      this.informerFor(object).upsert(applied);
      writes += 1;
      written.push(change);
      log.info(`${live ? 'updated' : 'created'} object`, { kind: object.kind, object: object.metadata.name });
    };
    const isWorkload = ({ object }: Change) => object.kind === 'Deployment';
    try {
      await settleAll(changes.filter((change) => !isWorkload(change)).map(applyOne));
      for (const change of changes.filter(isWorkload)) await applyOne(change);
    } finally {
      this.recordChanges(microservice, written);
    }
    return writes;
  }

  /** Records one Event for the objects created and one for those updated. */
  private recordChanges(microservice: Microservice, written: Change[]): void {
    for (const verb of ['Created', 'Updated'] as const) {
      const objects = written.filter(({ live }) => (verb === 'Created') === (live === undefined));
      if (objects.length === 0) continue;
      const list = objects.map(({ object }) => `${object.kind} ${object.metadata.name}`).join(', ');
      void this.deps.events.record(microservice, 'Normal', verb, `${verb} ${list}`);
    }
  }

  /**
   * Deletes owned objects that the spec no longer renders, such as the autoscaler after
   * autoscaling is switched off. Only objects whose controller is this Microservice
   * (same UID) are touched, and the delete is conditional on that UID.
   */
  private async pruneChildren(microservice: Microservice, desired: KubeObject[], log: Logger): Promise<number> {
    const keep = new Set(desired.map((object) => `${typeKey(object.apiVersion, object.kind)}/${object.metadata.name}`));
    const { namespace, name, uid } = microservice.metadata;
    let writes = 0;
    for (const [key, informer] of this.deps.owned) {
      for (const live of informer.byIndex(ownerIndexValue(namespace, name))) {
        if (!isControlledBy(live, uid) || keep.has(`${key}/${live.metadata.name}`)) continue;
        const type = resourceTypeOf(live.apiVersion ?? '', live.kind ?? '');
        // Dropping the object from the cache at once keeps the next pass, which may run
        // before the watch reports the deletion, from deleting it a second time.
        informer.evict(namespace, live.metadata.name);
        try {
          await this.deps.client.request('DELETE', objectPath(type, namespace, live.metadata.name), {
            body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: live.metadata.uid }, propagationPolicy: 'Background' },
          });
        } catch (error) {
          if (isNotFound(error)) continue;
          informer.upsert(live);
          throw error;
        }
        writes += 1;
        log.info('deleted object', { kind: type.kind, object: live.metadata.name });
        void this.deps.events.record(microservice, 'Normal', 'Deleted', `Deleted ${type.kind} ${live.metadata.name}`);
      }
    }
    return writes;
  }

  /** Refuses to take over an object of the same name that this Microservice does not control. */
  private async assertNotTaken(microservice: Microservice, object: KubeObject): Promise<void> {
    const type = resourceTypeOf(object.apiVersion, object.kind);
    let existing: KubeObject;
    try {
      existing = await this.deps.client.request<KubeObject>('GET', objectPath(type, object.metadata.namespace, object.metadata.name));
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    if (isControlledBy(existing, microservice.metadata.uid)) return;
    throw new OwnershipConflictError(
      `${object.kind} ${object.metadata.namespace}/${object.metadata.name} already exists and is not owned by ` +
        `Microservice ${microservice.metadata.name}; delete or rename that ${object.kind}, or rename the Microservice`,
    );
  }

  private async reportFailure(microservice: Microservice, failure: Failure, log: Logger): Promise<void> {
    void this.deps.events.record(microservice, 'Warning', failure.reason, failure.message);
    try {
      await this.writeStatus(microservice, failure, log);
    } catch (error) {
      // The original failure is what the controller logs and retries; this one only adds context.
      log.warn('status not updated after failure', { error });
    }
  }

  /** Writes status; `release` defaults to the stored release status, which an apply must never drop. */
  private async writeStatus(microservice: Microservice, failure: Failure | undefined, log: Logger, release?: ReleaseStatus): Promise<void> {
    const { namespace, name } = microservice.metadata;
    const deployment = this.deps.owned.get(typeKey('apps/v1', 'Deployment'))?.get(namespace, name) as DeploymentLike | undefined;
    const status = withRelease(computeStatus(microservice, deployment, failure, new Date()), release ?? microservice.status?.release);
    if (!statusChanged(microservice.status, status)) return;

    const path = `${objectPath(MICROSERVICE, namespace, name)}/status`;
    const updated = await this.deps.client.apply<Microservice>(
      path,
      { apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace }, status },
      FIELD_MANAGER,
    );
    this.deps.microservices.upsert(updated);
    log.debug('status updated', { phase: status.phase });
  }

  private informerFor(object: KubeObject): ObjectCache<KubeObject> {
    const informer = this.deps.owned.get(typeKey(object.apiVersion, object.kind));
    if (!informer) throw new Error(`no informer for ${object.apiVersion} ${object.kind}; add the kind to ownedTypes()`);
    return informer;
  }
}

function isControlledBy(object: KubeObject, uid: string | undefined): boolean {
  const references = (object.metadata.ownerReferences ?? []) as OwnerReference[];
  return uid !== undefined && references.some((reference) => reference.controller === true && reference.uid === uid);
}

/**
 * Waits for every promise, then throws the first rejection. Unlike Promise.all, no
 * request is still running when the caller handles the error.
 */
async function settleAll<T>(promises: Array<Promise<T>>): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((result) => (result as PromiseFulfilledResult<T>).value);
}
