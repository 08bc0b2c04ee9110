/**
 * Watches one kind in one namespace and records when the number of objects that meet a
 * condition reaches a target. It uses the operator's own Informer (list, then watch), so
 * the benchmark never polls objects one by one.
 */
import type { KubeClient } from '../operator/src/kube/client.ts';
import type { ResourceType } from '../operator/src/kube/resources.ts';
import { Informer, objectKey, type ObjectLike } from '../operator/src/runtime/informer.ts';

export type Condition<T> = (object: T) => boolean;

export interface WaitResult {
  /** performance.now() when the target was reached, or undefined after a timeout. */
  reachedAt: number | undefined;
  /** Objects meeting the condition when the wait ended. */
  count: number;
}

export class ConvergenceTracker<T extends ObjectLike> {
  private readonly informer: Informer<T>;
  private readonly abort = new AbortController();
  private readonly met = new Set<string>();
  private condition: Condition<T> = () => false;
  private target = Infinity;
  private reachedAt: number | undefined;
  private running: Promise<void> | undefined;
  private onReached: (() => void) | undefined;

  constructor(client: KubeClient, type: ResourceType, namespace: string) {
    this.informer = new Informer<T>(client, type, { namespace });
    const observe = (object: T) => this.observe(object);
    this.informer.addHandler({
      onAdd: observe,
      onUpdate: (_previous, current) => observe(current),
      onDelete: (object) => this.met.delete(objectKey(object)),
    });
  }

  async start(): Promise<void> {
    this.running = this.informer.run(this.abort.signal);
    await this.informer.waitForSync();
  }

  /**
   * Sets the condition and target of the next wait and re-checks the cached objects.
   * Call it before the writes that start the clock, so no watch event is missed.
   */
  expect(target: number, condition: Condition<T>): void {
    this.target = target;
    this.condition = condition;
    this.reachedAt = undefined;
    this.met.clear();
    for (const object of this.informer.list()) this.observe(object);
  }

  /** Waits until `target` objects meet the condition set by expect(), or the timeout passes. */
  async wait(timeoutMs: number): Promise<WaitResult> {
    if (this.reachedAt === undefined) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.onReached = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.onReached = undefined;
    }
    return { reachedAt: this.reachedAt, count: this.met.size };
  }

  list(): T[] {
    return this.informer.list();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  private observe(object: T): void {
    const key = objectKey(object);
    if (this.condition(object)) this.met.add(key);
    else this.met.delete(key);
    if (this.reachedAt === undefined && this.met.size >= this.target) {
      this.reachedAt = performance.now();
      this.onReached?.();
    }
  }
}
