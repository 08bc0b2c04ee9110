import type { Logger } from '../../common/src/logger.ts';
import { createMetricsRegistry } from '../../common/src/metrics.ts';
import { startHttpService, type RunningService } from '../../common/src/server.ts';
import { startWithLogger } from '../../common/src/service-logger.ts';
import type { InventoryConfig } from './config.ts';
import { createStockRouter } from './routes.ts';
import { StockStore } from './stock.ts';

export const SERVICE_NAME = 'inventory';

export interface StartOptions {
  /** Logger to use; when omitted, one is created from `config` and closed with the server. */
  logger?: Logger;
}

/** Starts the inventory service and resolves once it listens. */
export function startServer(config: InventoryConfig, options: StartOptions = {}): Promise<RunningService> {
  return startWithLogger(SERVICE_NAME, config, options.logger, (logger) => {
    const registry = createMetricsRegistry({
      service: SERVICE_NAME,
      version: config.version,
      revision: config.revision,
    });
    const stock = new StockStore();

    return startHttpService({
      config,
      logger,
      registry,
      createRoutes: (middleware) => createStockRouter(stock, middleware),
    });
  });
}
