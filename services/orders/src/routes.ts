import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { InventoryClient } from './inventory-client.ts';
import { parseOrderRequest, type OrderStore } from './orders.ts';

/**
 * Creates the order routes.
 *
 * `POST /orders` checks stock with inventory before it accepts an order:
 * - 201 with `stock: "available"` when inventory has enough units,
 * - 201 with `stock: "unknown"` when the lookup failed or timed out (degraded, never a 5xx),
 * - 409 when inventory has fewer units than requested,
 * - 422 when inventory does not know the SKU,
 * - 400 when the body is invalid.
 * Stock is only checked, not reserved, so concurrent orders can oversell.
 * `middleware` runs in front of each handler.
 */
export function createOrderRouter(
  orders: OrderStore,
  inventory: InventoryClient,
  middleware: RequestHandler[],
): Router {
  const router = Router();

  router.post('/orders', ...middleware, async (request, response) => {
    const parsed = parseOrderRequest(request.body);
    if (!parsed.ok) {
      response.status(400).json({ error: 'invalid order request', field: parsed.field, expected: parsed.expected });
      return;
    }

    const { sku, quantity } = parsed.request;
    const lookup = await inventory.lookup(sku);
    if (lookup.kind === 'unknown_sku') {
      response.status(422).json({ error: 'sku not found', sku });
      return;
    }
    if (lookup.kind === 'found' && lookup.available < quantity) {
      response.status(409).json({ error: 'insufficient stock', sku, requested: quantity, available: lookup.available });
      return;
    }

    const order = orders.create(parsed.request, lookup.kind === 'found' ? 'available' : 'unknown');
    response.status(201).location(`/orders/${order.id}`).json(order);
  });

  router.get('/orders/:id', ...middleware, (request: Request<{ id: string }>, response: Response) => {
    const order = orders.get(request.params.id);
    if (order === undefined) {
      response.status(404).json({ error: 'order not found', id: request.params.id });
      return;
    }
    response.json(order);
  });

  return router;
}
