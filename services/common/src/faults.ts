import type { RequestHandler } from 'express';
import { setTimeout as sleep } from 'node:timers/promises';
import { Counter, type Registry } from 'prom-client';
import type { FaultConfig } from './config.ts';

/**
 * Creates middleware that delays requests and responds to a fraction of them with 500,
 * as set in `faults`. Mount it only in front of business routes.
 *
 * The delay comes first, so an injected error also carries the injected latency, as a
 * slow failing dependency would. `random` returns values in [0, 1) and is replaceable
 * for tests.
 */
export function createFaultInjector(
  faults: FaultConfig,
  registry: Registry,
  random: () => number = Math.random,
): RequestHandler {
  const injected = new Counter({
    name: 'fault_injections_total',
    help: 'Faults injected into business requests, by kind (latency or error).',
    labelNames: ['kind'],
    registers: [registry],
  });

  return async (_request, response, next) => {
    const delayMs = faults.latencyMs + Math.round(random() * faults.latencyJitterMs);
    if (delayMs > 0) {
      injected.inc({ kind: 'latency' });
      await sleep(delayMs);
    }

    if (faults.errorRate > 0 && random() < faults.errorRate) {
      injected.inc({ kind: 'error' });
      response.status(500).json({ error: 'injected fault' });
      return;
    }
    next();
  };
}
