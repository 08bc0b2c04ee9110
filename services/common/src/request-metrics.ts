import type { Request, RequestHandler } from 'express';
import { Counter, Histogram, type Registry } from 'prom-client';

/** Route label for requests that matched no route, so unknown paths cannot grow the label set. */
export const UNMATCHED_ROUTE = 'unmatched';

// Upper bounds in seconds, from 5 ms to 10 s. Injected latency of several seconds still
// lands in a finite bucket, and the low end resolves the handlers' typical few milliseconds.
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function routeLabel(request: Request): string {
  const path: unknown = request.route?.path;
  if (typeof path !== 'string') {
    return UNMATCHED_ROUTE;
  }
  return request.baseUrl + path;
}

/**
 * Creates middleware that records `http_requests_total` and `http_request_duration_seconds`,
 * both labelled with method, route pattern and status code. Error rates come from the
 * status label, for example `http_requests_total{status=~"5.."}`.
 *
 * A request is recorded when its response finishes. A request whose client disconnects
 * before the response is sent is not recorded.
 */
export function createRequestMetrics(registry: Registry): RequestHandler {
  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'Completed HTTP requests, by method, route pattern and status code.',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from receiving an HTTP request to finishing its response, in seconds.',
    labelNames,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });

  return (request, response, next) => {
    const stopTimer = duration.startTimer();
    response.once('finish', () => {
      const labels = { method: request.method, route: routeLabel(request), status: String(response.statusCode) };
      requests.inc(labels);
      stopTimer(labels);
    });
    next();
  };
}
