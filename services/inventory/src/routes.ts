import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { StockStore } from './stock.ts';

/**
 * Creates the stock lookup routes. A 404 body carries the requested `sku`, which lets the
 * orders service tell an unknown SKU from a wrong INVENTORY_URL that returns 404 for every path.
 * `middleware` runs in front of each handler.
 */
export function createStockRouter(stock: StockStore, middleware: RequestHandler[]): Router {
  const router = Router();

  router.get('/stock', ...middleware, (_request, response) => {
    response.json({ items: stock.list() });
  });

  router.get('/stock/:sku', ...middleware, (request: Request<{ sku: string }>, response: Response) => {
    const sku = request.params.sku;
    const available = stock.available(sku);
    if (available === undefined) {
      response.status(404).json({ error: 'sku not found', sku });
      return;
    }
    response.json({ sku, available });
  });

  return router;
}
