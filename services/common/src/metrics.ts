import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';

export interface ServiceIdentity {
  service: string;
  version: string;
  revision: string;
}

/**
 * Creates a registry with the default process metrics and a `service_info` gauge.
 *
 * Each server gets its own registry instead of prom-client's global one, so tests can run
 * several services in one process. Canary analysis can join on `service_info{version}`
 * to tell stable pods from canary pods.
 */
export function createMetricsRegistry(identity: ServiceIdentity): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const info = new Gauge({
    name: 'service_info',
    help: 'Constant 1, labelled with the running build.',
    labelNames: ['service', 'version', 'revision'],
    registers: [registry],
  });
  info.set({ service: identity.service, version: identity.version, revision: identity.revision }, 1);

  return registry;
}
