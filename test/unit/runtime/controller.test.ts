import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../operator/src/log.ts';
import { Controller, type ReconcileRequest, type ReconcileResult } from '../../../operator/src/runtime/controller.ts';
import { ExponentialBackoff } from '../../../operator/src/runtime/rate-limiter.ts';
import { WorkQueue } from '../../../operator/src/runtime/workqueue.ts';

let queue: WorkQueue | undefined;

afterEach(() => queue?.shutDown());

async function until(check: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 500 && !check(); attempt += 1) await new Promise((resolve) => setTimeout(resolve, 5));
}

function start(reconciler: (request: ReconcileRequest) => Promise<ReconcileResult>, workers = 4, name = 'test') {
  queue = new WorkQueue(name, new ExponentialBackoff(1, 50));
  const controller = new Controller({ name, queue, reconciler, workers, log: silentLogger() });
  controller.start();
  return { queue, controller };
}

describe('Controller', () => {
  it('never runs one key on two workers at once', async () => {
    let running = 0;
    let maxRunning = 0;
    let calls = 0;
    const { queue } = start(async () => {
      running += 1;
      calls += 1;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((resolve) => setTimeout(resolve, 20));
      running -= 1;
      return {};
    }, 4, 'test-exclusive');
    queue.add('ns/a');
    await until(() => running === 1);
    queue.add('ns/a');
    queue.add('ns/a');
    await until(() => calls === 2 && running === 0);
    expect(maxRunning).toBe(1);
    expect(calls).toBe(2);
  });

  it('retries a failing key until it succeeds', async () => {
    const attempts: number[] = [];
    const { queue } = start(async () => {
      attempts.push(Date.now());
      if (attempts.length < 4) throw new Error('boom');
      return {};
    }, 1, 'test-retry');
    queue.add('ns/a');
    await until(() => attempts.length === 4);
    expect(attempts).toHaveLength(4);
    expect(queue.retries('ns/a')).toBe(0);
  });

  it('passes namespace and name', async () => {
    const seen: string[] = [];
    const { queue } = start(async ({ namespace, name }) => {
      seen.push(`${namespace}|${name}`);
      return {};
    }, 1, 'test-names');
    queue.add('shop/orders');
    await until(() => seen.length === 1);
    expect(seen).toEqual(['shop|orders']);
  });

  it('requeues after the requested delay', async () => {
    let calls = 0;
    const { queue } = start(async () => {
      calls += 1;
      return calls === 1 ? { requeueAfter: 10 } : {};
    }, 1, 'test-requeue');
    queue.add('ns/a');
    await until(() => calls === 2);
    expect(calls).toBe(2);
  });

  it('drains running reconciles on shutdown', async () => {
    let finished = false;
    const { queue, controller } = start(async () => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      finished = true;
      return {};
    }, 1, 'test-drain');
    queue.add('ns/a');
    await until(() => queue.length === 0);
    queue.shutDown();
    await controller.drained();
    expect(finished).toBe(true);
  });
});
