import { randomUUID } from 'node:crypto';

/**
 * Result of the stock check at creation time. `unknown` is the degraded result: the
 * inventory call failed or timed out, so the order was accepted without a check.
 */
export type StockStatus = 'available' | 'unknown';

export interface Order {
  id: string;
  sku: string;
  quantity: number;
  stock: StockStatus;
  /** ISO 8601 creation time. */
  createdAt: string;
}

export interface OrderRequest {
  sku: string;
  quantity: number;
}

export type OrderRequestParse = { ok: true; request: OrderRequest } | { ok: false; field: string; expected: string };

const SKU_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const MAX_QUANTITY = 1_000;

/** Validates a JSON request body for `POST /orders`. */
export function parseOrderRequest(body: unknown): OrderRequestParse {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, field: 'body', expected: 'a JSON object' };
  }

  const { sku, quantity } = body as Record<string, unknown>;
  if (typeof sku !== 'string' || !SKU_PATTERN.test(sku)) {
    return { ok: false, field: 'sku', expected: '1 to 64 letters, digits, dots, dashes or underscores' };
  }
  if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity < 1 || quantity > MAX_QUANTITY) {
    return { ok: false, field: 'quantity', expected: `an integer from 1 to ${MAX_QUANTITY}` };
  }
  return { ok: true, request: { sku, quantity } };
}

/**
 * In-memory order store that keeps the most recent `capacity` orders. Older orders are
 * dropped so that a long load test cannot exhaust the container's memory.
 */
export class OrderStore {
  readonly #orders = new Map<string, Order>();
  readonly #capacity: number;

  constructor(capacity = 10_000) {
    this.#capacity = capacity;
  }

  create(request: OrderRequest, stock: StockStatus): Order {
    const order: Order = { id: randomUUID(), ...request, stock, createdAt: new Date().toISOString() };
    this.#orders.set(order.id, order);

    // Map iteration follows insertion order, so the first key is the oldest order.
    if (this.#orders.size > this.#capacity) {
      const oldest = this.#orders.keys().next().value;
      if (oldest !== undefined) {
        this.#orders.delete(oldest);
      }
    }
    return order;
  }

  get(id: string): Order | undefined {
    return this.#orders.get(id);
  }
}
