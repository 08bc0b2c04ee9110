/** When a Microservice gets Istio objects, and which of its ports Istio routes as HTTP. */
import type { PortSpec } from '../api/workload.ts';
import type { RenderContext } from '../context.ts';

/**
 * Istio protocols that VirtualService `http` routes apply to. Istio reads the protocol
 * from `appProtocol`, else from the port name's prefix before the first "-" (Istio docs,
 * "Protocol Selection"). "kubernetes.io/h2c" is the Kubernetes appProtocol for cleartext HTTP/2.
 */
const HTTP_PROTOCOLS = new Set(['http', 'http2', 'grpc', 'grpc-web', 'h2c', 'kubernetes.io/h2c']);

/** Istio protocols that are not routed as HTTP: TLS (https included) and plain TCP ones. */
const NON_HTTP_PROTOCOLS = new Set(['https', 'tls', 'tcp', 'mongo', 'mysql', 'redis', 'udp']);

/** Istio objects are rendered only when both the platform and the Microservice enable the mesh, and there is a Service. */
export function meshEnabled(context: RenderContext): boolean {
  return context.platform.mesh.enabled && context.spec.mesh?.enabled !== false && (context.spec.ports ?? []).length > 0;
}

/**
 * True when Istio may route traffic on `port` as HTTP: the port declares an HTTP protocol,
 * or declares none that Istio recognises, so that Istio detects HTTP/1.1 and HTTP/2 from
 * the first bytes of each connection. UDP and SCTP ports never carry HTTP.
 */
export function isHttpPort(port: PortSpec): boolean {
  if ((port.protocol ?? 'TCP') !== 'TCP') return false;
  const declared = (port.appProtocol ?? port.name.split('-')[0] ?? '').toLowerCase();
  if (HTTP_PROTOCOLS.has(declared)) return true;
  return !NON_HTTP_PROTOCOLS.has(declared);
}

export const hasHttpPort = (context: RenderContext): boolean => (context.spec.ports ?? []).some(isHttpPort);
