/**
 * A work queue of object keys ("namespace/name") with the guarantees of client-go's
 * workqueue:
 * - a key is handed to at most one worker at a time;
 * - adding a key that is already waiting does nothing, so bursts of events collapse;
 * - a key added while a worker processes it is handed out again after done();
 * - failed keys come back after a per-key exponential backoff until forget().
 * It is not persistent: after a restart the informers' initial list re-adds every key.
 */
import {
  workqueueAdds,
  workqueueDepth,
  workqueueLongestRunning,
  workqueueQueueDuration,
  workqueueRetries,
  workqueueUnfinishedWork,
  workqueueWorkDuration,
} from './metrics.ts';
import { ExponentialBackoff } from './rate-limiter.ts';

const METRICS_INTERVAL_MS = 1_000;

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Map<string, number>();
  private readonly addedAt = new Map<string, number>();
  private readonly delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly waiters: Array<(key: string | undefined) => void> = [];
  private readonly backoff: ExponentialBackoff;
  private readonly labels: { name: string; controller: string };
  private readonly metricsTimer: NodeJS.Timeout;
  private shuttingDown = false;

  constructor(name: string, backoff = new ExponentialBackoff()) {
    this.backoff = backoff;
    this.labels = { name, controller: name };
    workqueueDepth.set(this.labels, 0);
    workqueueAdds.inc(this.labels, 0);
    workqueueRetries.inc(this.labels, 0);
    this.metricsTimer = setInterval(() => this.updateProcessingMetrics(), METRICS_INTERVAL_MS);
    this.metricsTimer.unref();
  }

  get length(): number {
    return this.queue.length;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    workqueueAdds.inc(this.labels);
    this.dirty.add(key);
    this.addedAt.set(key, performance.now());
    if (this.processing.has(key)) return;
    this.enqueue(key);
  }

  /** Adds `key` after `delayMs`; an earlier pending delay for the same key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + delayMs;
    const pending = this.delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.delayed.set(key, { at, timer });
  }

  /** Adds `key` after its backoff delay and records one more failure for it. */
  addRateLimited(key: string): number {
    workqueueRetries.inc(this.labels);
    const delay = this.backoff.when(key);
    this.addAfter(key, delay);
    return delay;
  }

  /** Resets the backoff of `key` after it succeeded. */
  forget(key: string): void {
    this.backoff.forget(key);
  }

  retries(key: string): number {
    return this.backoff.retries(key);
  }

  /** Waits for the next key; resolves undefined once the queue shuts down. */
  get(): Promise<string | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) return Promise.resolve(this.take(key));
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: string): void {
    const startedAt = this.processing.get(key);
    if (startedAt !== undefined) workqueueWorkDuration.observe(this.labels, (performance.now() - startedAt) / 1000);
    this.processing.delete(key);
    if (this.dirty.has(key)) this.enqueue(key);
  }

  /** Stops handing out keys; pending get() calls resolve undefined. */
  shutDown(): void {
    this.shuttingDown = true;
    clearInterval(this.metricsTimer);
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }

  private enqueue(key: string): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter(this.take(key));
      return;
    }
    this.queue.push(key);
    workqueueDepth.set(this.labels, this.queue.length);
  }

  private take(key: string): string {
    workqueueDepth.set(this.labels, this.queue.length);
    const addedAt = this.addedAt.get(key);
    if (addedAt !== undefined) workqueueQueueDuration.observe(this.labels, (performance.now() - addedAt) / 1000);
    this.addedAt.delete(key);
    this.dirty.delete(key);
    this.processing.set(key, performance.now());
    return key;
  }

  private updateProcessingMetrics(): void {
    const now = performance.now();
    let total = 0;
    let longest = 0;
    for (const startedAt of this.processing.values()) {
      const seconds = (now - startedAt) / 1000;
      total += seconds;
      longest = Math.max(longest, seconds);
    }
    workqueueUnfinishedWork.set(this.labels, total);
    workqueueLongestRunning.set(this.labels, longest);
  }
}
