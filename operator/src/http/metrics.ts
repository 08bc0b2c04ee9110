/** /metrics in the Prometheus text format, optionally behind MetricsAuthorizer. */
import express from 'express';
import type { Registry } from 'prom-client';
import type { Logger } from '../log.ts';
import type { MetricsAuthorizer } from './auth.ts';

export const METRICS_PATH = '/metrics';

export function metricsApp(registry: Registry, log: Logger, authorizer?: MetricsAuthorizer): express.Express {
  const app = express();
  app.disable('x-powered-by');
  if (authorizer) app.use(METRICS_PATH, authorizer.middleware());
  app.get(METRICS_PATH, async (_request, response) => {
    try {
      const body = await registry.metrics();
      response.type(registry.contentType).send(body);
    } catch (error) {
      log.error('failed to collect metrics', { error });
      response.status(500).type('text/plain').send('failed to collect metrics; see the operator log\n');
    }
  });
  return app;
}
