import { Counter, type Registry } from 'prom-client';
import { describeError, type Logger } from '../../common/src/logger.ts';

/** Cause of a failed stock lookup, used as the `reason` label of `downstream_failures_total`. */
export type LookupFailureReason = 'timeout' | 'connection_error' | 'http_status' | 'invalid_response';

export type StockLookup =
  | { kind: 'found'; available: number }
  | { kind: 'unknown_sku' }
  | { kind: 'failed'; reason: LookupFailureReason };

const TARGET = 'inventory';

class LookupFailure extends Error {
  readonly reason: LookupFailureReason;
  readonly details: Record<string, unknown>;

  constructor(reason: LookupFailureReason, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.reason = reason;
    this.details = details;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function classifyError(error: unknown): LookupFailureReason {
  if (error instanceof LookupFailure) {
    return error.reason;
  }
  // AbortSignal.timeout() rejects fetch and body reads with a DOMException named TimeoutError.
  if (error instanceof Error && error.name === 'TimeoutError') {
    return 'timeout';
  }
  if (error instanceof SyntaxError) {
    return 'invalid_response';
  }
  return 'connection_error';
}

/**
 * Client for the inventory service's stock lookup.
 *
 * `lookup` never throws. Each failure (timeout, refused connection, unexpected status or
 * body) resolves to `{ kind: 'failed' }`, logs one warning with the cause and increments
 * `downstream_failures_total{target="inventory", reason}`. The timeout covers the whole
 * exchange, body included, so a stalled inventory cannot hold an order request open.
 */
export class InventoryClient {
  readonly #baseUrl: URL;
  readonly #timeoutMs: number;
  readonly #logger: Logger;
  readonly #failures: Counter<'target' | 'reason'>;

  constructor(baseUrl: URL, timeoutMs: number, logger: Logger, registry: Registry) {
    // A trailing slash keeps a path prefix in INVENTORY_URL when relative paths resolve.
    this.#baseUrl = new URL(baseUrl.href.endsWith('/') ? baseUrl.href : `${baseUrl.href}/`);
    this.#timeoutMs = timeoutMs;
    this.#logger = logger;
    this.#failures = new Counter({
      name: 'downstream_failures_total',
      help: 'Failed calls to downstream services, by target service and reason.',
      labelNames: ['target', 'reason'],
      registers: [registry],
    });
  }

  async lookup(sku: string): Promise<StockLookup> {
    const url = new URL(`stock/${encodeURIComponent(sku)}`, this.#baseUrl);
    try {
      return await this.#fetchStock(url, sku);
    } catch (error) {
      const reason = classifyError(error);
      this.#failures.inc({ target: TARGET, reason });
      const details = error instanceof LookupFailure ? error.details : {};
      this.#logger.warn('inventory lookup failed, accepting order with unknown stock', {
        target: TARGET,
        reason,
        sku,
        url: url.origin + url.pathname,
        timeoutMs: this.#timeoutMs,
        ...details,
        ...describeError(error),
      });
      return { kind: 'failed', reason };
    }
  }

  async #fetchStock(url: URL, sku: string): Promise<StockLookup> {
    const response = await fetch(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(this.#timeoutMs),
    });
    // An error status may come with any body, so only a success body must be JSON.
    const body: unknown = response.ok ? await response.json() : await response.json().catch(() => undefined);

    // Inventory echoes the SKU in its 404 body. A 404 without it comes from something
    // else, such as a wrong INVENTORY_URL path, and must not reject every order.
    if (response.status === 404 && isRecord(body) && body.sku === sku) {
      return { kind: 'unknown_sku' };
    }
    if (!response.ok) {
      throw new LookupFailure('http_status', 'inventory returned an unexpected status', { status: response.status });
    }

    const available = isRecord(body) ? body.available : undefined;
    if (typeof available !== 'number' || !Number.isInteger(available) || available < 0) {
      throw new LookupFailure('invalid_response', 'inventory response has no valid available count');
    }
    return { kind: 'found', available };
  }
}
