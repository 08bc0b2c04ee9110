import type { Logger } from '../../common/src/logger.ts';
import { createMetricsRegistry } from '../../common/src/metrics.ts';
import { startHttpService, type RunningService } from '../../common/src/server.ts';
import { startWithLogger } from '../../common/src/service-logger.ts';
import type { OrdersConfig } from './config.ts';
import { InventoryClient } from './inventory-client.ts';
import { OrderStore } from './orders.ts';
import { createOrderRouter } from './routes.ts';

export const SERVICE_NAME = 'orders';

export interface StartOptions {
  /** Logger to use; when omitted, one is created from `config` and closed with the server. */
  logger?: Logger;
}

/** Starts the orders service and resolves once it listens. Inventory need not be up. */
export function startServer(config: OrdersConfig, options: StartOptions = {}): Promise<RunningService> {
  return startWithLogger(SERVICE_NAME, config, options.logger, (logger) => {
    const registry = createMetricsRegistry({
      service: SERVICE_NAME,
      version: config.version,
      revision: config.revision,
    });
    const inventory = new InventoryClient(config.inventoryUrl, config.downstreamTimeoutMs, logger, registry);
    const orders = new OrderStore();

    return startHttpService({
      config,
      logger,
      registry,
      createRoutes: (middleware) => createOrderRouter(orders, inventory, middleware),
    });
  });
}
