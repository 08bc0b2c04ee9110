/**
 * /healthz and /readyz for the kubelet. The body follows kube-apiserver's health
 * endpoints: "ok", or one line per check ("[+]name ok", "[-]name failed: reason") when a
 * check fails or the query has ?verbose.
 */
import express from 'express';

export interface HealthCheck {
  name: string;
  /** Returns undefined when healthy, else the reason. */
  check(): string | undefined;
}

export interface ProbeChecks {
  /** Checks of /healthz; a failure makes the kubelet restart the container. */
  liveness: HealthCheck[];
  /** Checks of /readyz; a failure only takes the Pod out of its Services' endpoints. */
  readiness: HealthCheck[];
}

export function probesApp(checks: ProbeChecks): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (request, response) => respond(request, response, 'healthz', checks.liveness));
  app.get('/readyz', (request, response) => respond(request, response, 'readyz', checks.readiness));
  return app;
}

function respond(request: express.Request, response: express.Response, endpoint: string, checks: HealthCheck[]): void {
  const results = checks.map((check) => ({ name: check.name, failure: check.check() }));
  const healthy = results.every((result) => result.failure === undefined);
  response.status(healthy ? 200 : 503).type('text/plain');
  if (healthy && request.query.verbose === undefined) {
    response.send('ok');
    return;
  }
  const lines = results.map((result) => (result.failure === undefined ? `[+]${result.name} ok` : `[-]${result.name} failed: ${result.failure}`));
  lines.push(healthy ? `${endpoint} check passed` : `${endpoint} check failed`);
  response.send(`${lines.join('\n')}\n`);
}
