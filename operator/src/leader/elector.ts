/**
 * Leader election on a Lease, with the semantics of client-go's leaderelection package:
 * - a candidate takes the Lease when it is missing, released (no holderIdentity), or
 *   unchanged for leaseDuration. That time runs on the candidate's own monotonic clock
 *   from when it first saw the record, so clock skew between machines does not matter;
 * - the leader renews every retryPeriod; when no renewal succeeds for renewDeadline it
 *   stops leading, which is before any standby may take over (renewDeadline < leaseDuration);
 * - on a clean stop the leader releases the Lease, so a standby takes over at its next try.
 * A leader whose event loop stalls for longer than the lease duration can still overlap
 * with its successor until its next timer runs; nothing in a single process prevents that.
 */
import { isConflict } from '../kube/errors.ts';
import type { Logger } from '../log.ts';
import { REQUEST_TIMEOUT_MS } from '../runtime/constants.ts';
import { leaderElectionMasterStatus } from '../runtime/metrics.ts';
import { formatMicroTime, nowMicroseconds } from './micro-time.ts';
import type { Lease, LeaseLock, LeaseSpec } from './lease-lock.ts';

export interface LeaderElectorOptions {
  lock: LeaseLock;
  /** holderIdentity written to the Lease; unique per process (see leaderIdentity()). */
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  log: Logger;
  /** Called once this process holds the Lease. */
  onStartedLeading: () => void;
  /** Called when the Lease was lost while running; not called after stop(). */
  onStoppedLeading: () => void;
}

/** Outcome of one attempt: this process holds the Lease, another does, or a write raced. */
type Attempt = 'acquired' | 'held' | 'conflict';

/** Spreads the acquire attempts of candidates that started together, by up to this fraction. */
const ACQUIRE_JITTER = 0.2;

export class LeaderElector {
  private readonly options: LeaderElectorOptions;
  private readonly log: Logger;
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private leading = false;
  /** The last Lease this process read or wrote, and when (performance.now()) its spec last changed. */
  private observed: Lease | undefined;
  private observedAt = 0;
  private lastLeader = '';

  constructor(options: LeaderElectorOptions) {
    this.options = options;
    this.log = options.log.child({ lease: options.lock.key, identity: options.identity });
    leaderElectionMasterStatus.set({ name: options.lock.name }, 0);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Starts competing for the Lease in the background. */
  start(): void {
    this.running ??= this.run(this.abort.signal);
  }

  /**
   * Stops competing and renewing. With `release`, a leader then gives the Lease up so a
   * standby need not wait for it to expire. Returns whether the Lease was released.
   */
  async stop(release: boolean): Promise<boolean> {
    this.abort.abort();
    await this.running;
    if (!release || !this.leading || !this.observed) return false;
    return this.release(this.observed);
  }

  private async run(signal: AbortSignal): Promise<void> {
    this.log.info('attempting to acquire leader lease');
    if (!(await this.acquire(signal))) return;

    this.setLeading(true);
    this.log.info('acquired leader lease');
    this.options.onStartedLeading();

    const lost = await this.renew(signal);
    if (!lost) return;
    this.setLeading(false);
    this.options.onStoppedLeading();
  }

  /** Tries every retry period until this process holds the Lease; false when stopped first. */
  private async acquire(signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      try {
        const attempt = await this.tryAcquireOrRenew(AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]));
        if (attempt === 'acquired') return true;
      } catch (error) {
        if (signal.aborted) return false;
        this.log.warn('failed to acquire leader lease, retrying', { error, retryInMs: this.options.retryPeriodMs });
      }
      await sleep(this.options.retryPeriodMs * (1 + Math.random() * ACQUIRE_JITTER), signal);
    }
    return false;
  }

  /**
   * Renews every retry period. Returns true when leadership is lost: another holder
   * appears, or no renewal succeeded for the renew deadline. Each attempt's timeout is
   * the time left until that deadline, so a hung request cannot stretch it.
   */
  private async renew(signal: AbortSignal): Promise<boolean> {
    const { renewDeadlineMs, retryPeriodMs } = this.options;
    let lastRenewal = performance.now();
    for (;;) {
      await sleep(Math.min(retryPeriodMs, renewDeadlineMs - (performance.now() - lastRenewal)), signal);
      if (signal.aborted) return false;
      const remainingMs = renewDeadlineMs - (performance.now() - lastRenewal);
      if (remainingMs <= 0) {
        this.log.error('leader lease lost: no renewal succeeded within the renew deadline', { renewDeadlineMs });
        return true;
      }
      try {
        const attempt = await this.tryAcquireOrRenew(AbortSignal.any([signal, AbortSignal.timeout(Math.ceil(remainingMs))]));
        if (attempt === 'acquired') {
          lastRenewal = performance.now();
          continue;
        }
        if (attempt === 'held') {
          this.log.error('leader lease lost: another candidate holds it', { leader: this.lastLeader });
          return true;
        }
        this.log.warn('failed to renew leader lease, retrying', { reason: 'Conflict', remainingMs: Math.round(remainingMs) });
      } catch (error) {
        if (signal.aborted) return false;
        this.log.warn('failed to renew leader lease, retrying', { error, remainingMs: Math.round(remainingMs) });
      }
    }
  }

  private async tryAcquireOrRenew(signal: AbortSignal): Promise<Attempt> {
    const { lock, identity } = this.options;
    const now = formatMicroTime(nowMicroseconds());

    // Fast path of a leader: update the Lease it wrote last, without reading it first.
    if (this.leading && this.observed) {
      try {
        this.observe(await lock.update(this.observed, this.nextSpec(this.observed, now), signal));
        return 'acquired';
      } catch (error) {
        if (!isConflict(error)) throw error;
      }
    }

    const lease = await lock.get(signal);
    if (!lease) {
      try {
        this.observe(await lock.create(this.nextSpec(undefined, now), signal));
        this.noteLeader(identity);
        return 'acquired';
      } catch (error) {
        if (isConflict(error)) return 'conflict';
        throw error;
      }
    }

    this.observe(lease);
    const holder = lease.spec?.holderIdentity ?? '';
    this.noteLeader(holder);
    const expired = performance.now() - this.observedAt >= this.options.leaseDurationMs;
    if (holder !== '' && holder !== identity && !expired) return 'held';

    try {
      this.observe(await lock.update(lease, this.nextSpec(lease, now), signal));
    } catch (error) {
      if (isConflict(error)) return 'conflict';
      throw error;
    }
    if (holder !== identity) this.log.info('took over leader lease', { previousHolder: holder || undefined, expired });
    this.noteLeader(identity);
    return 'acquired';
  }

  /** Builds the spec that makes this process the holder, keeping acquireTime and transitions on a renewal. */
  private nextSpec(current: Lease | undefined, now: string): LeaseSpec {
    const spec = current?.spec ?? {};
    const renewal = spec.holderIdentity === this.options.identity;
    return {
      holderIdentity: this.options.identity,
      leaseDurationSeconds: Math.ceil(this.options.leaseDurationMs / 1_000),
      acquireTime: renewal && spec.acquireTime ? spec.acquireTime : now,
      renewTime: now,
      leaseTransitions: current === undefined ? 0 : (spec.leaseTransitions ?? 0) + (renewal ? 0 : 1),
    };
  }

  /** Records `lease`, restarting the expiry clock only when its spec changed. */
  private observe(lease: Lease): void {
    if (!this.observed || specKey(this.observed) !== specKey(lease)) this.observedAt = performance.now();
    this.observed = lease;
  }

  /**
   * Writes a Lease with no holder and a 1 s duration, which client-go candidates also
   * take at once. A 409 Conflict means another candidate already took over.
   */
  private async release(lease: Lease): Promise<boolean> {
    const now = formatMicroTime(nowMicroseconds());
    const spec: LeaseSpec = { leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: lease.spec?.leaseTransitions ?? 0 };
    try {
      await this.options.lock.update(lease, spec, AbortSignal.timeout(Math.ceil(Math.min(REQUEST_TIMEOUT_MS, this.options.leaseDurationMs))));
      this.log.info('released leader lease');
      return true;
    } catch (error) {
      if (isConflict(error)) this.log.info('leader lease not released: another candidate already holds it');
      else this.log.warn('failed to release leader lease; standbys take over once it expires', { error, leaseDurationMs: this.options.leaseDurationMs });
      return false;
    } finally {
      this.setLeading(false);
    }
  }

  private setLeading(leading: boolean): void {
    this.leading = leading;
    leaderElectionMasterStatus.set({ name: this.options.lock.name }, leading ? 1 : 0);
  }

  private noteLeader(holder: string): void {
    if (holder === '' || holder === this.lastLeader) return;
    this.lastLeader = holder;
    this.log.info('new leader observed', { leader: holder });
  }
}

function specKey(lease: Lease): string {
  const spec = lease.spec ?? {};
  return JSON.stringify([spec.holderIdentity, spec.leaseDurationSeconds, spec.acquireTime, spec.renewTime, spec.leaseTransitions]);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
