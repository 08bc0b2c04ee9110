/**
 * An informer keeps an in-memory copy of one resource type, in one namespace or all,
 * and notifies handlers of changes. It lists once, then watches from the list's
 * resourceVersion, resuming each closed watch from the last version it saw. A watch that
 * fails, including with 410 Gone when that version is too old, leads to a fresh list
 * after a backoff. Objects that vanished meanwhile are reported as deleted.
 */
import type { KubeClient, WatchEvent } from '../kube/client.ts';
import type { ObjectCache } from './cache.ts';
import { apiVersionOf, collectionPath, type ResourceType } from '../kube/resources.ts';
import {
  LIST_PAGE_SIZE,
  RELIST_BACKOFF_BASE_MS,
  RELIST_BACKOFF_MAX_MS,
  WATCH_TIMEOUT_SECONDS,
} from './constants.ts';

export interface ObjectLike {
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    managedFields?: unknown;
  };
}

export interface InformerHandler<T> {
  onAdd?(object: T): void;
  onUpdate?(previous: T, current: T): void;
  onDelete?(object: T): void;
}

export interface InformerOptions {
  /** Watch one namespace; undefined watches all. */
  namespace?: string;
  labelSelector?: string;
  /** Called when a list or watch fails, before the informer backs off and re-lists. */
  onError?: (error: unknown, attempt: number) => void;
  /** Secondary index: objects are also found by the value this returns, through byIndex(). */
  indexBy?: (object: ObjectLike) => string | undefined;
}

interface ListResponse<T> {
  metadata: { resourceVersion: string; continue?: string };
  items: T[];
}

export const objectKey = (object: ObjectLike): string =>
  object.metadata.namespace ? `${object.metadata.namespace}/${object.metadata.name}` : object.metadata.name;

/**
 * Compares two resourceVersions. The API server documents them as opaque, but with
 * etcd they are increasing integers; when either is not one, they count as unordered.
 */
function isOlder(candidate: string | undefined, than: string | undefined): boolean {
  if (!candidate || !than || !/^\d+$/.test(candidate) || !/^\d+$/.test(than)) return false;
  return BigInt(candidate) < BigInt(than);
}

export class Informer<T extends ObjectLike> implements ObjectCache<T> {
  readonly type: ResourceType;
  private readonly client: KubeClient;
  private readonly options: InformerOptions;
  private readonly store = new Map<string, T>();
  private readonly index = new Map<string, Set<string>>();
  private readonly handlers: InformerHandler<T>[] = [];
  private synced = false;
  private syncWaiters: Array<() => void> = [];
  private lastResourceVersion = '';

  constructor(client: KubeClient, type: ResourceType, options: InformerOptions = {}) {
    this.client = client;
    this.type = type;
    this.options = options;
  }

  /** True when this informer's scope includes `namespace`. */
  watches(namespace: string | undefined): boolean {
    return this.options.namespace === undefined || this.options.namespace === namespace;
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  addHandler(handler: InformerHandler<T>): void {
    this.handlers.push(handler);
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.store.get(namespace ? `${namespace}/${name}` : name);
  }

  /** Objects whose indexBy() value is `value`. */
  byIndex(value: string): T[] {
    const keys = this.index.get(value);
    if (!keys) return [];
    return [...keys].flatMap((key) => {
      const object = this.store.get(key);
      return object ? [object] : [];
    });
  }

  list(): T[] {
    return [...this.store.values()];
  }

  get size(): number {
    return this.store.size;
  }

  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /**
   * Stores an object the operator just wrote, so the next reconcile reads it before the
   * watch event arrives. Ignored when the cache already holds a newer version.
   */
  upsert(object: T): void {
    const key = objectKey(object);
    const current = this.store.get(key);
    if (current && isOlder(object.metadata.resourceVersion, current.metadata.resourceVersion)) return;
    this.put(key, strip(object));
  }

  evict(namespace: string | undefined, name: string): void {
    this.remove(namespace ? `${namespace}/${name}` : name);
  }

  /** Runs until `signal` aborts. Never throws: failures lead to a re-list after a backoff. */
  async run(signal: AbortSignal): Promise<void> {
    let attempt = 0;
    let needList = true;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.relist(signal);
          needList = false;
        }
        await this.client.watch<T>(
          collectionPath(this.type, this.options.namespace),
          {
            resourceVersion: this.lastResourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds: WATCH_TIMEOUT_SECONDS,
            labelSelector: this.options.labelSelector,
          },
          (event) => this.apply(event),
          signal,
        );
        attempt = 0;
      } catch (error) {
        if (signal.aborted) break;
        attempt += 1;
        needList = true;
        this.options.onError?.(error, attempt);
        const delay = Math.min(RELIST_BACKOFF_BASE_MS * 2 ** (attempt - 1), RELIST_BACKOFF_MAX_MS);
        await sleep(delay, signal);
      }
    }
  }

  private async relist(signal: AbortSignal): Promise<void> {
    const fresh = new Map<string, T>();
    let next: string | undefined;
    let resourceVersion = '';
    do {
      const page: ListResponse<T> = await this.client.request('GET', collectionPath(this.type, this.options.namespace), {
        query: { limit: LIST_PAGE_SIZE, continue: next, labelSelector: this.options.labelSelector },
        signal,
      });
      // The API server leaves apiVersion and kind out of list items, but watch events carry
      // them. Callers map cached objects to REST paths, so every cached object needs them.
      const typeMeta = { apiVersion: apiVersionOf(this.type), kind: this.type.kind };
      for (const item of page.items) fresh.set(objectKey(item), strip({ ...typeMeta, ...item }));
      next = page.metadata.continue || undefined;
      resourceVersion = page.metadata.resourceVersion;
    } while (next);

    const previous = new Map(this.store);
    this.store.clear();
    this.index.clear();
    for (const [key, object] of fresh) this.put(key, object);
    this.lastResourceVersion = resourceVersion;

    for (const [key, object] of previous) {
      if (!fresh.has(key)) this.emit((handler) => handler.onDelete?.(object));
    }
    for (const [key, object] of fresh) {
      const old = previous.get(key);
      if (!old) this.emit((handler) => handler.onAdd?.(object));
      else if (old.metadata.resourceVersion !== object.metadata.resourceVersion) {
        this.emit((handler) => handler.onUpdate?.(old, object));
      }
    }
    this.markSynced();
  }

  private apply(event: WatchEvent<T>): void {
    const object = event.object;
    if (object.metadata.resourceVersion) this.lastResourceVersion = object.metadata.resourceVersion;
    if (event.type === 'BOOKMARK') return;

    const key = objectKey(object);
    const old = this.store.get(key);
    if (event.type === 'DELETED') {
      this.remove(key);
      this.emit((handler) => handler.onDelete?.(old ?? object));
      return;
    }
    // A write-through from upsert() may already hold this version or a newer one.
    if (old && isOlder(object.metadata.resourceVersion, old.metadata.resourceVersion)) return;
    const current = strip(object);
    this.put(key, current);
    if (!old) this.emit((handler) => handler.onAdd?.(current));
    else this.emit((handler) => handler.onUpdate?.(old, current));
  }

  private put(key: string, object: T): void {
    const old = this.store.get(key);
    if (old) this.unindex(key, old);
    this.store.set(key, object);
    const value = this.options.indexBy?.(object);
    if (value === undefined) return;
    let keys = this.index.get(value);
    if (!keys) this.index.set(value, (keys = new Set()));
    keys.add(key);
  }

  private remove(key: string): void {
    const old = this.store.get(key);
    if (old) this.unindex(key, old);
    this.store.delete(key);
  }

  private unindex(key: string, object: T): void {
    const value = this.options.indexBy?.(object);
    if (value === undefined) return;
    const keys = this.index.get(value);
    keys?.delete(key);
    if (keys?.size === 0) this.index.delete(value);
  }

  private emit(call: (handler: InformerHandler<T>) => void): void {
    for (const handler of this.handlers) call(handler);
  }

  private markSynced(): void {
    if (this.synced) return;
    this.synced = true;
    for (const waiter of this.syncWaiters.splice(0)) waiter();
  }
}

/** Drops managedFields, which the operator never reads and which can double an object's size. */
function strip<T extends ObjectLike>(object: T): T {
  if (object.metadata.managedFields === undefined) return object;
  const { managedFields: _dropped, ...metadata } = object.metadata;
  return { ...object, metadata } as T;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
