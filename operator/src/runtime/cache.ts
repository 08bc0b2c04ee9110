/** Read access to cached objects, as reconcilers see it, whatever informers fill it. */
import type { Informer, ObjectLike } from './informer.ts';

export interface ObjectCache<T> {
  get(namespace: string | undefined, name: string): T | undefined;
  /** Objects whose index value (see InformerOptions.indexBy) is `value`. */
  byIndex(value: string): T[];
  /** Stores an object the operator just wrote, unless the cache contains a newer version. */
  upsert(object: T): void;
  /** Drops an object the operator is deleting; the watch's DELETED event then finds nothing. */
  evict(namespace: string | undefined, name: string): void;
}

/** Presents the per-namespace informers of one kind as one cache. */
export class InformerGroup<T extends ObjectLike> implements ObjectCache<T> {
  private readonly informers: Informer<T>[];

  constructor(informers: Informer<T>[]) {
    this.informers = informers;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    for (const informer of this.informers) {
      if (!informer.watches(namespace)) continue;
      const object = informer.get(namespace, name);
      if (object) return object;
    }
    return undefined;
  }

  byIndex(value: string): T[] {
    return this.informers.flatMap((informer) => informer.byIndex(value));
  }

  upsert(object: T): void {
    this.informers.find((informer) => informer.watches(object.metadata.namespace))?.upsert(object);
  }

  evict(namespace: string | undefined, name: string): void {
    for (const informer of this.informers) informer.evict(namespace, name);
  }
}
