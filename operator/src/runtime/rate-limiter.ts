/** Per-key exponential backoff: base, 2x base, 4x base... capped, reset by forget(). */
import { BACKOFF_BASE_MS, BACKOFF_MAX_MS } from './constants.ts';

export class ExponentialBackoff {
  private readonly failures = new Map<string, number>();
  private readonly baseMs: number;
  private readonly maxMs: number;

  constructor(baseMs = BACKOFF_BASE_MS, maxMs = BACKOFF_MAX_MS) {
    this.baseMs = baseMs;
    this.maxMs = maxMs;
  }

  /** Records one more failure of `key` and returns the delay before its next attempt. */
  when(key: string): number {
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    // 2 ** 60 overflows nothing in a double, but Math.min keeps the cap exact.
    return Math.min(this.baseMs * 2 ** Math.min(failures, 60), this.maxMs);
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}
