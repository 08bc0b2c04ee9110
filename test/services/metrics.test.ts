import { afterEach, describe, expect, it } from 'vitest';
import {
  closeAll,
  postOrder,
  requestJson,
  sampleValue,
  scrapeMetrics,
  startInventory,
  startOrders,
} from './helpers.ts';

afterEach(closeAll);

describe('metrics endpoint', () => {
  it('counts requests by route and status', async () => {
    const inventory = await startInventory();
    const orders = await startOrders(inventory.url);

    await postOrder(orders.url, { sku: 'widget', quantity: 1 });
    await postOrder(orders.url, { sku: 'widget', quantity: 2 });
    await postOrder(orders.url, { sku: 'gadget', quantity: 50 });
    await requestJson(`${orders.url}/no-such-route`);

    const metrics = await scrapeMetrics(orders.url);
    const counter = 'http_requests_total';
    expect(sampleValue(metrics, counter, { method: 'POST', route: '/orders', status: '201' })).toBe(2);
    expect(sampleValue(metrics, counter, { method: 'POST', route: '/orders', status: '409' })).toBe(1);
    expect(sampleValue(metrics, counter, { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
  });

  it('records durations in the histogram', async () => {
    const inventory = await startInventory();
    const orders = await startOrders(inventory.url);

    await postOrder(orders.url, { sku: 'widget', quantity: 1 });
    await postOrder(orders.url, { sku: 'widget', quantity: 1 });

    const metrics = await scrapeMetrics(orders.url);
    const labels = { method: 'POST', route: '/orders', status: '201' };
    expect(sampleValue(metrics, 'http_request_duration_seconds_count', labels)).toBe(2);
    expect(sampleValue(metrics, 'http_request_duration_seconds_sum', labels)).toBeGreaterThan(0);
    expect(sampleValue(metrics, 'http_request_duration_seconds_bucket', { ...labels, le: '+Inf' })).toBe(2);
    expect(sampleValue(metrics, 'http_request_duration_seconds_bucket', { ...labels, le: '0.005' })).toBeDefined();
    expect(sampleValue(metrics, 'http_request_duration_seconds_bucket', { ...labels, le: '10' })).toBe(2);
  });

  it('counts inventory lookups by route pattern', async () => {
    const inventory = await startInventory();
    const orders = await startOrders(inventory.url);

    await postOrder(orders.url, { sku: 'widget', quantity: 1 });
    await postOrder(orders.url, { sku: 'no-such-sku', quantity: 1 });

    const metrics = await scrapeMetrics(inventory.url);
    const counter = 'http_requests_total';
    expect(sampleValue(metrics, counter, { method: 'GET', route: '/stock/:sku', status: '200' })).toBe(1);
    expect(sampleValue(metrics, counter, { method: 'GET', route: '/stock/:sku', status: '404' })).toBe(1);
  });

  it('exposes service_info with version labels', async () => {
    const inventory = await startInventory({ version: '0.1.0', revision: '1a2b3c' });
    const orders = await startOrders(inventory.url, { version: '0.2.0-canary', revision: '4d5e6f' });

    const ordersMetrics = await scrapeMetrics(orders.url);
    const inventoryMetrics = await scrapeMetrics(inventory.url);

    const ordersInfo = { service: 'orders', version: '0.2.0-canary', revision: '4d5e6f' };
    expect(sampleValue(ordersMetrics, 'service_info', ordersInfo)).toBe(1);
    const inventoryInfo = { service: 'inventory', version: '0.1.0', revision: '1a2b3c' };
    expect(sampleValue(inventoryMetrics, 'service_info', inventoryInfo)).toBe(1);
  });

  it('exposes default process metrics', async () => {
    const inventory = await startInventory();

    const response = await fetch(`${inventory.url}/metrics`);
    const metrics = await response.text();

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    // prom-client counts CPU time from the registry's creation, which can round to 0 this early.
    expect(sampleValue(metrics, 'process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(0);
    expect(sampleValue(metrics, 'process_start_time_seconds')).toBeGreaterThan(0);
    expect(sampleValue(metrics, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(sampleValue(metrics, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  it('keeps registries separate per server', async () => {
    const first = await startInventory();
    const second = await startInventory();

    await requestJson(`${first.url}/stock/widget`);

    const secondMetrics = await scrapeMetrics(second.url);
    expect(sampleValue(secondMetrics, 'http_requests_total', { route: '/stock/:sku' })).toBeUndefined();
  });
});
