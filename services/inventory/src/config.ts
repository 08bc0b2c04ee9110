import { readServiceConfig, type ServiceConfig } from '../../common/src/config.ts';
import { EnvReader } from '../../common/src/env.ts';

export type InventoryConfig = ServiceConfig;

/** Reads the inventory settings from `env`; throws ConfigError naming every invalid variable. */
export function loadInventoryConfig(env: Readonly<Record<string, string | undefined>>): InventoryConfig {
  const reader = new EnvReader(env);
  const config = readServiceConfig(reader);
  reader.finish();
  return config;
}
