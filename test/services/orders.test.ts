import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  closeAll,
  postOrder,
  requestJson,
  sampleValue,
  scrapeMetrics,
  startInventory,
  startOrders,
  waitForLogLine,
} from './helpers.ts';

afterEach(closeAll);

describe('orders with inventory up', () => {
  it('accepts order with stock', async () => {
    const inventory = await startInventory();
    const orders = await startOrders(inventory.url);

    const created = await postOrder(orders.url, { sku: 'widget', quantity: 3 });

    expect(created.status).toBe(201);
    expect(created.body.sku).toBe('widget');
    expect(created.body.quantity).toBe(3);
    expect(created.body.stock).toBe('available');
    expect(created.body.id).toEqual(expect.any(String));
    expect(created.headers.get('location')).toBe(`/orders/${String(created.body.id)}`);

    const fetched = await requestJson(`${orders.url}/orders/${String(created.body.id)}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(created.body);
  });

  it('rejects unknown sku with 422', async () => {
    const inventory = await startInventory();
    const orders = await startOrders(inventory.url);

    const response = await postOrder(orders.url, { sku: 'no-such-sku', quantity: 1 });

    expect(response.status).toBe(422);
    expect(response.body).toEqual({ error: 'sku not found', sku: 'no-such-sku' });
  });

  it('rejects insufficient stock with 409', async () => {
    const inventory = await startInventory();
    const orders = await startOrders(inventory.url);

    const response = await postOrder(orders.url, { sku: 'gadget', quantity: 9 });

    expect(response.status).toBe(409);
    expect(response.body).toEqual({ error: 'insufficient stock', sku: 'gadget', requested: 9, available: 8 });
  });

  it.each([
    { name: 'array body', body: [1], field: 'body' },
    { name: 'missing sku', body: { quantity: 1 }, field: 'sku' },
    { name: 'sku with slash', body: { sku: 'a/b', quantity: 1 }, field: 'sku' },
    { name: 'zero quantity', body: { sku: 'widget', quantity: 0 }, field: 'quantity' },
    { name: 'fractional quantity', body: { sku: 'widget', quantity: 1.5 }, field: 'quantity' },
    { name: 'quantity as string', body: { sku: 'widget', quantity: '2' }, field: 'quantity' },
    { name: 'quantity above maximum', body: { sku: 'widget', quantity: 1001 }, field: 'quantity' },
  ])('rejects $name with 400', async ({ body, field }) => {
    const inventory = await startInventory();
    const orders = await startOrders(inventory.url);

    const response = await postOrder(orders.url, body);

    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid order request');
    expect(response.body.field).toBe(field);
  });

  it('rejects malformed JSON with 400', async () => {
    const inventory = await startInventory();
    const orders = await startOrders(inventory.url);

    const response = await requestJson(`${orders.url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"sku": ',
    });

    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid request');
    const metrics = await scrapeMetrics(orders.url);
    expect(sampleValue(metrics, 'http_requests_total', { route: '/orders', status: '400' })).toBe(1);
  });

  it('returns 404 for unknown order id', async () => {
    const inventory = await startInventory();
    const orders = await startOrders(inventory.url);

    const response = await requestJson(`${orders.url}/orders/does-not-exist`);

    expect(response.status).toBe(404);
    expect(response.body).toEqual({ error: 'order not found', id: 'does-not-exist' });
  });
});

describe('orders with inventory failing', () => {
  it('degrades when inventory is stopped', async () => {
    const logDir = await mkdtemp(join(tmpdir(), 'orders-log-'));
    try {
      const inventory = await startInventory();
      const orders = await startOrders(inventory.url, { logDir, logLevel: 'warn' });
      await inventory.close();

      const response = await postOrder(orders.url, { sku: 'widget', quantity: 1 });

      expect(response.status).toBe(201);
      expect(response.body.stock).toBe('unknown');
      const metrics = await scrapeMetrics(orders.url);
      expect(
        sampleValue(metrics, 'downstream_failures_total', { target: 'inventory', reason: 'connection_error' }),
      ).toBe(1);

      const warning = await waitForLogLine(logDir, 'inventory lookup failed, accepting order with unknown stock');
      expect(warning.level).toBe('warn');
      expect(warning.reason).toBe('connection_error');
      expect(warning.sku).toBe('widget');
      expect(warning.cause).toMatch(/ECONNREFUSED/);
    } finally {
      await closeAll();
      await rm(logDir, { recursive: true, force: true });
    }
  });

  it('degrades when inventory exceeds the timeout', async () => {
    const inventory = await startInventory({ faults: { latencyMs: 2_000, latencyJitterMs: 0, errorRate: 0 } });
    const orders = await startOrders(inventory.url, { downstreamTimeoutMs: 100 });

    const response = await postOrder(orders.url, { sku: 'widget', quantity: 1 });

    expect(response.status).toBe(201);
    expect(response.body.stock).toBe('unknown');
    const metrics = await scrapeMetrics(orders.url);
    expect(sampleValue(metrics, 'downstream_failures_total', { target: 'inventory', reason: 'timeout' })).toBe(1);
  });

  it('degrades when inventory returns 500', async () => {
    const inventory = await startInventory({ faults: { latencyMs: 0, latencyJitterMs: 0, errorRate: 1 } });
    const orders = await startOrders(inventory.url);

    const response = await postOrder(orders.url, { sku: 'widget', quantity: 1 });

    expect(response.status).toBe(201);
    expect(response.body.stock).toBe('unknown');
    const metrics = await scrapeMetrics(orders.url);
    expect(sampleValue(metrics, 'downstream_failures_total', { target: 'inventory', reason: 'http_status' })).toBe(1);
  });

  it('treats a 404 without sku as failure', async () => {
    // With a wrong path prefix, inventory responds to every lookup with its route-not-found 404.
    const inventory = await startInventory();
    const orders = await startOrders(`${inventory.url}/wrong-prefix`);

    const response = await postOrder(orders.url, { sku: 'widget', quantity: 1 });

    expect(response.status).toBe(201);
    expect(response.body.stock).toBe('unknown');
    const metrics = await scrapeMetrics(orders.url);
    expect(sampleValue(metrics, 'downstream_failures_total', { target: 'inventory', reason: 'http_status' })).toBe(1);
  });

  it('counts no failure when inventory is healthy', async () => {
    const inventory = await startInventory();
    const orders = await startOrders(inventory.url);

    await postOrder(orders.url, { sku: 'widget', quantity: 1 });

    const metrics = await scrapeMetrics(orders.url);
    expect(sampleValue(metrics, 'downstream_failures_total')).toBeUndefined();
  });
});
