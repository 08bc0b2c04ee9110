import { afterEach, describe, expect, it } from 'vitest';
import { ExponentialBackoff } from '../../../operator/src/runtime/rate-limiter.ts';
import { WorkQueue } from '../../../operator/src/runtime/workqueue.ts';

let queue: WorkQueue;

afterEach(() => queue?.shutDown());

describe('WorkQueue', () => {
  it('collapses duplicate adds', async () => {
    queue = new WorkQueue('test-collapse');
    queue.add('ns/a');
    queue.add('ns/a');
    queue.add('ns/b');
    expect(queue.length).toBe(2);
    expect(await queue.get()).toBe('ns/a');
    expect(await queue.get()).toBe('ns/b');
  });

  it('never hands out a key that a worker holds', async () => {
    queue = new WorkQueue('test-exclusive');
    queue.add('ns/a');
    const first = await queue.get();
    queue.add('ns/a');
    expect(queue.length).toBe(0);
    queue.done(first!);
    expect(queue.length).toBe(1);
    expect(await queue.get()).toBe('ns/a');
  });

  it('resolves a waiting get when a key arrives', async () => {
    queue = new WorkQueue('test-wait');
    const pending = queue.get();
    queue.add('ns/late');
    expect(await pending).toBe('ns/late');
  });

  it('resolves pending gets with undefined on shutdown', async () => {
    queue = new WorkQueue('test-shutdown');
    const pending = queue.get();
    queue.shutDown();
    expect(await pending).toBeUndefined();
  });

  it('adds a key after a delay', async () => {
    queue = new WorkQueue('test-delay');
    queue.addAfter('ns/a', 20);
    expect(queue.length).toBe(0);
    expect(await queue.get()).toBe('ns/a');
  });

  it('keeps the earlier of two delays', async () => {
    queue = new WorkQueue('test-earlier');
    queue.addAfter('ns/a', 60_000);
    queue.addAfter('ns/a', 10);
    expect(await queue.get()).toBe('ns/a');
  });

  it('counts retries until forget', () => {
    queue = new WorkQueue('test-retries');
    queue.addRateLimited('ns/a');
    queue.addRateLimited('ns/a');
    expect(queue.retries('ns/a')).toBe(2);
    queue.forget('ns/a');
    expect(queue.retries('ns/a')).toBe(0);
  });
});

describe('ExponentialBackoff', () => {
  it('doubles per failure', () => {
    const backoff = new ExponentialBackoff(5, 1_000);
    expect([1, 2, 3, 4].map(() => backoff.when('k'))).toEqual([5, 10, 20, 40]);
  });

  it('caps at the maximum', () => {
    const backoff = new ExponentialBackoff(5, 100);
    const delays = Array.from({ length: 10 }, () => backoff.when('k'));
    expect(delays.at(-1)).toBe(100);
  });

  it('tracks keys separately', () => {
    const backoff = new ExponentialBackoff(5, 1_000);
    backoff.when('a');
    backoff.when('a');
    expect(backoff.when('b')).toBe(5);
  });

  it('restarts after forget', () => {
    const backoff = new ExponentialBackoff(5, 1_000);
    backoff.when('a');
    backoff.when('a');
    backoff.forget('a');
    expect(backoff.when('a')).toBe(5);
  });
});
