/**
 * Wires the Microservice controller: one informer for Microservices and one per owned
 * kind, event handlers that map changes to owner keys, the work queue and the workers.
 */
import { hostname } from 'node:os';
import type { Microservice } from '../../cdk8s/src/api/microservice.ts';
import { MICROSERVICE_LABEL } from '../../cdk8s/src/context.ts';
import type { KubeObject } from '../../cdk8s/src/render.ts';
import type { OperatorConfig } from './config.ts';
import { KubeClient } from './kube/client.ts';
import { isNotFound } from './kube/errors.ts';
import { EventRecorder } from './kube/events.ts';
import { MICROSERVICE, apiVersionOf, type ResourceType } from './kube/resources.ts';
import type { Logger } from './log.ts';
import { MicroserviceReconciler, ownerIndexValue } from './microservice/reconciler.ts';
import { ownedTypes, typeKeyOf } from './microservice/owned-types.ts';
import { InformerGroup } from './runtime/cache.ts';
import { Controller } from './runtime/controller.ts';
import { Informer, objectKey, type ObjectLike } from './runtime/informer.ts';
import { WorkQueue } from './runtime/workqueue.ts';

export const CONTROLLER_NAME = 'microservice';
/** Only objects with this label are cached, so unrelated Deployments cost no memory. */
const OWNED_SELECTOR = 'app.kubernetes.io/managed-by=flywheel';

interface OwnerReference {
  kind?: string;
  name?: string;
  controller?: boolean;
}

export class Manager {
  readonly client: KubeClient;
  readonly queue: WorkQueue;
  readonly microservices: Informer<Microservice>[] = [];
  readonly owned = new Map<string, Informer<KubeObject>[]>();
  private readonly config: OperatorConfig;
  private readonly log: Logger;
  private readonly controller: Controller;
  private readonly reconciler: MicroserviceReconciler;
  private readonly abort = new AbortController();
  private readonly running: Promise<void>[] = [];

  constructor(config: OperatorConfig, log: Logger, client: KubeClient) {
    this.config = config;
    this.log = log;
    this.client = client;
    this.queue = new WorkQueue(CONTROLLER_NAME);

    const namespaces = config.namespaces.length > 0 ? config.namespaces : [undefined];
    for (const namespace of namespaces) {
      this.microservices.push(this.newInformer<Microservice>(MICROSERVICE, namespace));
    }
    for (const type of ownedTypes(config.platform)) {
      this.owned.set(
        typeKeyOf(type),
        namespaces.map((namespace) =>
          this.newInformer<KubeObject>(type, namespace, {
            labelSelector: OWNED_SELECTOR,
            indexBy: (object) => ownerLabelIndex(object),
          }),
        ),
      );
    }

    this.reconciler = new MicroserviceReconciler({
      client,
      microservices: new InformerGroup(this.microservices),
      owned: new Map([...this.owned].map(([key, informers]) => [key, new InformerGroup(informers)])),
      events: new EventRecorder(client, log, hostname()),
      platform: config.platform,
    });
    this.controller = new Controller({
      name: CONTROLLER_NAME,
      queue: this.queue,
      reconciler: this.reconciler.reconcile,
      workers: config.workers,
      log,
    });
    this.registerHandlers();
  }

  /** Fails start-up early when the cluster lacks what the configuration needs. */
  async preflight(): Promise<void> {
    const groups: Array<[ResourceType, string]> = [[MICROSERVICE, 'install the CRD: kubectl apply -f crds/']];
    for (const type of ownedTypes(this.config.platform)) {
      if (type.group === 'networking.istio.io') {
        groups.push([type, 'install Istio (or its CRDs), or start the operator with --mesh=false']);
      }
    }
    for (const [type, fix] of groups) {
      try {
        await this.client.request('GET', `/apis/${apiVersionOf(type)}`);
      } catch (error) {
        if (isNotFound(error)) throw new Error(`API group ${apiVersionOf(type)} is not served by the cluster; ${fix}`);
        throw new Error(`failed to reach the API server for ${apiVersionOf(type)}`, { cause: error });
      }
    }
  }

  /** Starts the informers and resolves once every cache has synced. */
  async startInformers(): Promise<void> {
    const all = [...this.microservices, ...[...this.owned.values()].flat()];
    for (const informer of all) this.running.push(informer.run(this.abort.signal));
    await Promise.all(all.map((informer) => informer.waitForSync()));
  }

  get hasSynced(): boolean {
    return [...this.microservices, ...[...this.owned.values()].flat()].every((informer) => informer.hasSynced);
  }

  startWorkers(): void {
    this.controller.start();
  }

  /** Stops taking new keys, waits for running reconciles, then stops the informers. */
  async stop(): Promise<void> {
    this.queue.shutDown();
    await this.controller.drained();
    this.abort.abort();
    await Promise.allSettled(this.running);
  }

  private newInformer<T extends ObjectLike>(type: ResourceType, namespace: string | undefined, options: { labelSelector?: string; indexBy?: (object: ObjectLike) => string | undefined } = {}) {
    return new Informer<T>(this.client, type, {
      namespace,
      ...options,
      onError: (error, attempt) => this.log.warn('watch failed, listing again', { kind: type.kind, namespace, attempt, error }),
    });
  }

  private registerHandlers(): void {
    for (const informer of this.microservices) {
      informer.addHandler({
        onAdd: (object) => this.queue.add(objectKey(object)),
        onUpdate: (previous, current) => {
          if (specOrMetadataChanged(previous, current)) this.queue.add(objectKey(current));
        },
        onDelete: (object) => {
          this.reconciler.desired.forget(object.metadata.uid);
          this.reconciler.releases.forget(object.metadata.namespace, object.metadata.name);
        },
      });
    }
    const enqueueOwner = (object: KubeObject) => {
      const owner = ((object.metadata.ownerReferences ?? []) as OwnerReference[]).find(
        (reference) => reference.controller && reference.kind === MICROSERVICE.kind,
      );
      if (owner?.name && object.metadata.namespace) this.queue.add(`${object.metadata.namespace}/${owner.name}`);
    };
    for (const informers of this.owned.values()) {
      for (const informer of informers) {
        informer.addHandler({ onAdd: enqueueOwner, onUpdate: (_previous, current) => enqueueOwner(current), onDelete: enqueueOwner });
      }
    }
  }
}

function ownerLabelIndex(object: ObjectLike): string | undefined {
  const metadata = object.metadata as { namespace?: string; labels?: Record<string, string> };
  const owner = metadata.labels?.[MICROSERVICE_LABEL];
  return owner && metadata.namespace ? ownerIndexValue(metadata.namespace, owner) : undefined;
}

/**
 * Status-only updates, including the operator's own status writes, need no reconcile:
 * the spec bumps metadata.generation, and labels, annotations and deletion show here.
 */
function specOrMetadataChanged(previous: Microservice, current: Microservice): boolean {
  const a = previous.metadata;
  const b = current.metadata;
  return (
    a.generation !== b.generation ||
    a.deletionTimestamp !== b.deletionTimestamp ||
    JSON.stringify(a.labels) !== JSON.stringify(b.labels) ||
    JSON.stringify(a.annotations) !== JSON.stringify(b.annotations)
  );
}
