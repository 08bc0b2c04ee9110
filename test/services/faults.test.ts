import express from 'express';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createFaultInjector } from '../../services/common/src/faults.ts';
import { closeAll, requestJson, sampleValue, scrapeMetrics, startInventory } from './helpers.ts';

afterEach(closeAll);

const NO_FAULTS = { latencyMs: 0, latencyJitterMs: 0, errorRate: 0 };

describe('fault injection', () => {
  it('responds 500 to every request at rate 1', async () => {
    const inventory = await startInventory({ faults: { ...NO_FAULTS, errorRate: 1 } });

    for (let i = 0; i < 5; i++) {
      const response = await requestJson(`${inventory.url}/stock/widget`);
      expect(response.status).toBe(500);
      expect(response.body).toEqual({ error: 'injected fault' });
    }

    const metrics = await scrapeMetrics(inventory.url);
    expect(sampleValue(metrics, 'http_requests_total', { route: '/stock/:sku', status: '500' })).toBe(5);
    expect(sampleValue(metrics, 'fault_injections_total', { kind: 'error' })).toBe(5);
  });

  it('never faults health and metrics endpoints', async () => {
    const inventory = await startInventory({ faults: { latencyMs: 0, latencyJitterMs: 0, errorRate: 1 } });

    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const response = await fetch(`${inventory.url}${path}`);
      expect(response.status, path).toBe(200);
    }

    const metrics = await scrapeMetrics(inventory.url);
    expect(sampleValue(metrics, 'fault_injections_total', { kind: 'error' })).toBeUndefined();
  });

  it('responds 500 to no request at rate 0', async () => {
    const inventory = await startInventory({ faults: NO_FAULTS });

    for (let i = 0; i < 20; i++) {
      const response = await requestJson(`${inventory.url}/stock/widget`);
      expect(response.status).toBe(200);
    }

    const metrics = await scrapeMetrics(inventory.url);
    expect(sampleValue(metrics, 'http_requests_total', { route: '/stock/:sku', status: '200' })).toBe(20);
    expect(sampleValue(metrics, 'http_requests_total', { status: '500' })).toBeUndefined();
    expect(sampleValue(metrics, 'fault_injections_total')).toBeUndefined();
  });

  it('adds the configured latency', async () => {
    const latencyMs = 300;
    const inventory = await startInventory({ faults: { ...NO_FAULTS, latencyMs } });

    const started = performance.now();
    const response = await requestJson(`${inventory.url}/stock/widget`);
    const elapsedMs = performance.now() - started;

    expect(response.status).toBe(200);
    // Node timers work in whole milliseconds, so a delay can end up to 1 ms early by this clock.
    expect(elapsedMs).toBeGreaterThanOrEqual(latencyMs - 1);
    const metrics = await scrapeMetrics(inventory.url);
    expect(sampleValue(metrics, 'fault_injections_total', { kind: 'latency' })).toBe(1);
    expect(sampleValue(metrics, 'http_request_duration_seconds_bucket', { route: '/stock/:sku', le: '0.25' })).toBe(0);
  });

  it('adds at least the base latency with jitter', async () => {
    const latencyMs = 100;
    const inventory = await startInventory({ faults: { ...NO_FAULTS, latencyMs, latencyJitterMs: 200 } });

    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const response = await requestJson(`${inventory.url}/stock/widget`);
      const elapsedMs = performance.now() - started;

      expect(response.status).toBe(200);
      expect(elapsedMs).toBeGreaterThanOrEqual(latencyMs - 1);
    }
  });

  it('delays injected errors too', async () => {
    const latencyMs = 200;
    const inventory = await startInventory({ faults: { latencyMs, latencyJitterMs: 0, errorRate: 1 } });

    const started = performance.now();
    const response = await requestJson(`${inventory.url}/stock/widget`);
    const elapsedMs = performance.now() - started;

    expect(response.status).toBe(500);
    expect(elapsedMs).toBeGreaterThanOrEqual(latencyMs - 1);
  });

  it('adds jitter scaled by the random draw', async () => {
    // A draw of 0.99 makes the jitter 0.99 * 300 ms, rounded to 297 ms.
    const app = express();
    app.use(createFaultInjector({ latencyMs: 0, latencyJitterMs: 300, errorRate: 0 }, new Registry(), () => 0.99));
    app.get('/', (_request, response) => {
      response.json({ ok: true });
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));

    try {
      const { port } = server.address() as AddressInfo;
      const started = performance.now();
      const response = await fetch(`http://127.0.0.1:${port}/`);
      const elapsedMs = performance.now() - started;

      expect(response.status).toBe(200);
      expect(elapsedMs).toBeGreaterThanOrEqual(297 - 1);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
