/**
 * Preloaded into the operator process by the benchmark (`node --import bench/probe.ts
 * operator/src/main.ts ...`). It replies to `{ type: 'metrics', id }` messages on the IPC
 * channel with the operator's Prometheus registry as JSON. The benchmark reads request
 * counts this way because it needs no port and works with the metrics server off.
 *
 * The import resolves to the same module URL as the operator's own import, so Node's
 * module cache gives both the same registry.
 */
import { registry } from '../operator/src/runtime/metrics.ts';

interface MetricsRequest {
  type?: unknown;
  id?: unknown;
}

if (process.send) {
  process.on('message', (message: MetricsRequest) => {
    if (message?.type !== 'metrics') return;
    registry.getMetricsAsJSON().then(
      (metrics) => process.send?.({ type: 'metrics', id: message.id, metrics }),
      (error: unknown) => process.send?.({ type: 'metrics', id: message.id, error: String(error) }),
    );
  });
  // The channel must not keep the operator alive after its own shutdown.
  process.channel?.unref();
}
