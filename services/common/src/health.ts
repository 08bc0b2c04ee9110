import { Router } from 'express';
import type { Registry } from 'prom-client';
import type { ServerLifecycle } from './lifecycle.ts';

/**
 * Creates the probe and scrape routes: `/healthz` (the process is alive), `/readyz`
 * (503 once shutdown has started) and `/metrics` (Prometheus text format).
 * Readiness does not check downstream services, because a shared dependency outage
 * would then take every replica out of the Service at once.
 */
export function createHealthRouter(lifecycle: ServerLifecycle, registry: Registry): Router {
  const router = Router();

  router.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });

  router.get('/readyz', (_request, response) => {
    if (lifecycle.ready) {
      response.json({ status: 'ready' });
      return;
    }
    response.status(503).json({ status: 'shutting down' });
  });

  router.get('/metrics', async (_request, response) => {
    const body = await registry.metrics();
    response.type(registry.contentType).send(body);
  });

  return router;
}
