import express, { type RequestHandler, type Router } from 'express';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { ServiceConfig } from './config.ts';
import { createErrorHandler, notFound } from './errors.ts';
import { createFaultInjector } from './faults.ts';
import { createHealthRouter } from './health.ts';
import { ServerLifecycle } from './lifecycle.ts';
import type { Logger } from './logger.ts';
import { createRequestMetrics } from './request-metrics.ts';

/** A started service, as returned by each service's `startServer`. */
export interface RunningService {
  /** Base URL of the listener, such as `http://127.0.0.1:8080`. */
  url: string;
  /** Shuts down gracefully as ServerLifecycle describes; later calls return the same promise. */
  close(): Promise<void>;
}

export interface HttpServiceOptions {
  config: ServiceConfig;
  logger: Logger;
  registry: Registry;
  /**
   * Creates the business routes. Each route handler must come after `middleware` (fault
   * injection, then JSON body parsing). Applying them per route instead of app-wide keeps
   * the route pattern in the metrics labels of faulted and malformed requests.
   */
  createRoutes(middleware: RequestHandler[]): Router;
}

function formatUrl(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

/**
 * Starts an Express server with the shared parts: request metrics, probe and metrics routes,
 * fault injection in front of the business routes, and JSON responses for 404s and errors.
 * Resolves once the listener is bound and rejects when binding fails (for example EADDRINUSE).
 */
export async function startHttpService(options: HttpServiceOptions): Promise<RunningService> {
  const { config, logger, registry } = options;
  const app = express();
  app.disable('x-powered-by');

  const server = createServer(app);
  const lifecycle = new ServerLifecycle(server, logger, {
    delayMs: config.shutdownDelayMs,
    timeoutMs: config.shutdownTimeoutMs,
  });

  app.use(createRequestMetrics(registry));
  app.use(createHealthRouter(lifecycle, registry));
  const businessMiddleware = [createFaultInjector(config.faults, registry), express.json({ limit: '16kb' })];
  app.use(options.createRoutes(businessMiddleware));
  app.use(notFound);
  app.use(createErrorHandler(logger));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  const url = formatUrl(server.address() as AddressInfo);
  logger.info('server listening', { url, faults: config.faults });
  return { url, close: () => lifecycle.close() };
}
