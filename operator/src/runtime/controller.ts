/**
 * Runs a reconciler over a work queue with a fixed number of workers. The contract:
 * - the reconciler gets a key and returns a result or throws; it does not log failures;
 * - a thrown error is logged once here, counted, and the key retried with backoff;
 * - a result with `requeueAfter` brings the key back after that delay, with no backoff;
 * - success resets the key's backoff.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.ts';
import { activeWorkers, maxConcurrentReconciles, reconcileErrors, reconcileTime, reconcileTotal } from './metrics.ts';
import type { WorkQueue } from './workqueue.ts';

export interface ReconcileResult {
  /** Reconcile the key again after this many milliseconds. */
  requeueAfter?: number;
}

export interface ReconcileRequest {
  namespace: string;
  name: string;
  /** Child logger carrying controller, namespace, name and reconcileID. */
  log: Logger;
}

export type Reconciler = (request: ReconcileRequest) => Promise<ReconcileResult>;

export interface ControllerOptions {
  name: string;
  queue: WorkQueue;
  reconciler: Reconciler;
  workers: number;
  log: Logger;
  /** Called after a failed reconcile with the key's retry count, before the retry is scheduled. */
  onError?: (key: string, error: unknown, retries: number) => void;
}

export class Controller {
  private readonly options: ControllerOptions;
  private readonly running = new Set<Promise<void>>();
  private active = 0;

  constructor(options: ControllerOptions) {
    this.options = options;
    const labels = { controller: options.name };
    maxConcurrentReconciles.set(labels, options.workers);
    activeWorkers.set(labels, 0);
    for (const result of ['success', 'error', 'requeue_after']) reconcileTotal.inc({ ...labels, result }, 0);
    reconcileErrors.inc(labels, 0);
  }

  /** Starts the workers; they stop once the queue shuts down and hand back their last key. */
  start(): void {
    for (let worker = 0; worker < this.options.workers; worker += 1) {
      const loop = this.workerLoop();
      this.running.add(loop);
      void loop.finally(() => this.running.delete(loop));
    }
  }

  /** Resolves when every worker has finished its current reconcile and stopped. */
  async drained(): Promise<void> {
    await Promise.all([...this.running]);
  }

  private async workerLoop(): Promise<void> {
    const { queue } = this.options;
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        await this.processKey(key);
      } finally {
        queue.done(key);
      }
    }
  }

  private async processKey(key: string): Promise<void> {
    const { name: controller, queue, reconciler } = this.options;
    const [namespace = '', name = ''] = key.split('/');
    const log = this.options.log.child({ controller, namespace, name, reconcileID: randomUUID() });
    const labels = { controller };
    const stopTimer = reconcileTime.startTimer(labels);
    activeWorkers.set(labels, ++this.active);

    try {
      const result = await reconciler({ namespace, name, log });
      queue.forget(key);
      if (result.requeueAfter !== undefined) {
        reconcileTotal.inc({ ...labels, result: 'requeue_after' });
        queue.addAfter(key, result.requeueAfter);
      } else {
        reconcileTotal.inc({ ...labels, result: 'success' });
      }
      log.debug('reconciled', { requeueAfter: result.requeueAfter });
    } catch (error) {
      reconcileTotal.inc({ ...labels, result: 'error' });
      reconcileErrors.inc(labels);
      const retries = queue.retries(key);
      this.options.onError?.(key, error, retries);
      const delayMs = queue.addRateLimited(key);
      log.error('reconcile failed', { error, retries: retries + 1, retryInMs: delayMs });
    } finally {
      stopTimer();
      activeWorkers.set(labels, --this.active);
    }
  }
}
