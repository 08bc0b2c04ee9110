/**
 * The operator's two HTTP servers: /metrics on --metrics-bind-address and the kubelet
 * probes on --health-probe-bind-address. They are separate so the metrics port can
 * require authentication while the kubelet probes without credentials.
 */
import { readFileSync } from 'node:fs';
import type { OperatorConfig } from '../config.ts';
import type { KubeClient } from '../kube/client.ts';
import type { Logger } from '../log.ts';
import { registry } from '../runtime/metrics.ts';
import { MetricsAuthorizer } from './auth.ts';
import { METRICS_PATH, metricsApp } from './metrics.ts';
import { probesApp, type HealthCheck } from './probes.ts';
import { listen, type RunningServer, type TlsFiles } from './server.ts';

export interface EndpointState {
  /** Reason the informer caches are not ready, or undefined once they synced. */
  cachesNotReady(): string | undefined;
  /** True once shutdown started, which takes the Pod out of its Services' endpoints. */
  stopping(): boolean;
}

/** Starts the servers the configuration enables; returns them in start order. */
export async function startEndpoints(config: OperatorConfig, log: Logger, client: KubeClient, state: EndpointState): Promise<RunningServer[]> {
  const servers: RunningServer[] = [];
  try {
    if (config.healthProbeBindAddress) {
      const readiness: HealthCheck[] = [
        { name: 'informers', check: state.cachesNotReady },
        { name: 'shutdown', check: () => (state.stopping() ? 'shutting down' : undefined) },
      ];
      const app = probesApp({ liveness: [{ name: 'ping', check: () => undefined }], readiness });
      const server = await listen('health-probe-bind-address', config.healthProbeBindAddress, app);
      servers.push(server);
      log.info('serving health probes', { url: server.url, paths: ['/healthz', '/readyz'] });
    }

    if (config.metricsBindAddress) {
      const authorizer = config.metricsAuth ? new MetricsAuthorizer({ client, log, path: METRICS_PATH, verb: 'get' }) : undefined;
      const tls = config.metricsTls ? readTlsFiles(config.metricsTls) : undefined;
      const server = await listen('metrics-bind-address', config.metricsBindAddress, metricsApp(registry, log, authorizer), tls);
      servers.push(server);
      log.info('serving metrics', { url: `${server.url}${METRICS_PATH}`, authentication: config.metricsAuth, tls: tls !== undefined });
      if (config.metricsAuth && !tls) {
        log.warn('metrics authentication without TLS sends bearer tokens in clear; set --metrics-cert-file and --metrics-key-file');
      }
    }
  } catch (error) {
    await Promise.all(servers.map((server) => server.close(0)));
    throw error;
  }
  return servers;
}

// NOTE: the files are read once at start-up, so a rotated certificate takes effect only
// after a restart of the operator.
function readTlsFiles(files: { certFile: string; keyFile: string }): TlsFiles {
  const read = (path: string, setting: string) => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new Error(`failed to read ${path} (--${setting}); check the path and the file's permissions`, { cause: error });
    }
  };
  return { cert: read(files.certFile, 'metrics-cert-file'), key: read(files.keyFile, 'metrics-key-file') };
}
