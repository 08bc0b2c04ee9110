import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningService } from '../../services/common/src/server.ts';
import { loadInventoryConfig, type InventoryConfig } from '../../services/inventory/src/config.ts';
import { startServer as startInventoryServer } from '../../services/inventory/src/server.ts';
import { loadOrdersConfig, type OrdersConfig } from '../../services/orders/src/config.ts';
import { startServer as startOrdersServer } from '../../services/orders/src/server.ts';

// Loopback, a free port, no shutdown delay and quiet logs, built through the same env
// parsing that main.ts uses.
const TEST_ENV = { HOST: '127.0.0.1', PORT: '0', SHUTDOWN_DELAY_MS: '0', LOG_LEVEL: 'error' };

const running: RunningService[] = [];

/** Closes every service started through this module; call it from afterEach. */
export async function closeAll(): Promise<void> {
  const services = running.splice(0);
  await Promise.all(services.map((service) => service.close()));
}

export function inventoryConfig(overrides: Partial<InventoryConfig> = {}): InventoryConfig {
  return { ...loadInventoryConfig(TEST_ENV), ...overrides };
}

export function ordersConfig(inventoryUrl: string, overrides: Partial<OrdersConfig> = {}): OrdersConfig {
  return { ...loadOrdersConfig({ ...TEST_ENV, INVENTORY_URL: inventoryUrl }), ...overrides };
}

export async function startInventory(overrides: Partial<InventoryConfig> = {}): Promise<RunningService> {
  const service = await startInventoryServer(inventoryConfig(overrides));
  running.push(service);
  return service;
}

export async function startOrders(
  inventoryUrl: string,
  overrides: Partial<OrdersConfig> = {},
): Promise<RunningService> {
  const service = await startOrdersServer(ordersConfig(inventoryUrl, overrides));
  running.push(service);
  return service;
}

export interface JsonResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export async function requestJson(url: string, init: RequestInit = {}): Promise<JsonResponse> {
  const response = await fetch(url, init);
  const body = (await response.json()) as Record<string, unknown>;
  return { status: response.status, headers: response.headers, body };
}

export function postOrder(baseUrl: string, body: unknown): Promise<JsonResponse> {
  return requestJson(`${baseUrl}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

export async function scrapeMetrics(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/metrics`);
  return response.text();
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const match of text.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
    labels[match[1] as string] = match[2] as string;
  }
  return labels;
}

/**
 * Returns the value of the first sample in Prometheus text `exposition` named `name` whose
 * labels include `labels`, or undefined when there is none.
 */
export function sampleValue(exposition: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of exposition.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (match === null || match[1] !== name) {
      continue;
    }
    const sampleLabels = parseLabels(match[2] ?? '');
    if (Object.entries(labels).every(([key, value]) => sampleLabels[key] === value)) {
      return Number(match[3]);
    }
  }
  return undefined;
}

/** Polls `check` every 20 ms until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error('condition not met before the timeout');
    }
    await sleep(20);
  }
}

/** Reads `dir/app.log` as JSON lines; a missing file reads as no lines. */
export async function readLogLines(dir: string): Promise<Record<string, unknown>[]> {
  let text: string;
  try {
    text = await readFile(join(dir, 'app.log'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return [];
    }
    throw error;
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Waits until `dir/app.log` has a line with `message` and returns that line. */
export function waitForLogLine(dir: string, message: string): Promise<Record<string, unknown>> {
  return waitFor(async () => (await readLogLines(dir)).find((line) => line.message === message));
}
