import { readServiceConfig, type ServiceConfig } from '../../common/src/config.ts';
import { EnvReader } from '../../common/src/env.ts';

export interface OrdersConfig extends ServiceConfig {
  /** Base URL of the inventory service; stock lookups go to `<base>/stock/<sku>`. */
  inventoryUrl: URL;
  /** Time allowed for one inventory lookup, body included, in milliseconds. */
  downstreamTimeoutMs: number;
}

/** Reads the orders settings from `env`; throws ConfigError naming every invalid variable. */
export function loadOrdersConfig(env: Readonly<Record<string, string | undefined>>): OrdersConfig {
  const reader = new EnvReader(env);
  const config: OrdersConfig = {
    ...readServiceConfig(reader),
    inventoryUrl: reader.httpUrl('INVENTORY_URL'),
    downstreamTimeoutMs: reader.integer('DOWNSTREAM_TIMEOUT_MS', 1_000, 1, 60_000),
  };
  reader.finish();
  return config;
}
