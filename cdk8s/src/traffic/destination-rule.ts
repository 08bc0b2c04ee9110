/**
 * The Istio DestinationRule (networking.istio.io/v1) of a Microservice: the circuit
 * breaker that callers' sidecars apply to the service, and the subsets that a traffic
 * split routes to.
 *
 * It never sets `tls`. Istio's automatic mutual TLS applies only while a DestinationRule
 * has no TLS settings, so leaving them out keeps mesh mTLS working.
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { CircuitBreakerSpec, OutlierDetectionSpec } from '../api/traffic.ts';
import type { RenderContext } from '../context.ts';

/** A named group of the service's pods, chosen by pod labels. */
export interface DestinationRuleSubset {
  name: string;
  labels: Record<string, string>;
}

/** The parts of Istio's TrafficPolicy that Flywheel renders. */
export interface TrafficPolicy {
  connectionPool?: {
    tcp?: { maxConnections?: number; connectTimeout?: string };
    http?: {
      http1MaxPendingRequests?: number;
      http2MaxRequests?: number;
      maxRequestsPerConnection?: number;
      maxRetries?: number;
    };
  };
  outlierDetection?: OutlierDetectionSpec;
}

export interface MeshDestinationRuleProps {
  readonly context: RenderContext;
  /** Subsets that routes may name. @default none */
  readonly subsets?: readonly DestinationRuleSubset[];
}

export class MeshDestinationRule extends Construct {
  constructor(scope: Construct, id: string, props: MeshDestinationRuleProps) {
    super(scope, id);
    const { context } = props;
    const trafficPolicy = trafficPolicyOf(context.spec.circuitBreaker);
    const subsets = props.subsets ?? [];

    new ApiObject(this, 'resource', {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: context.name, labels: context.labels },
      spec: {
        host: context.serviceHost,
        ...(trafficPolicy && { trafficPolicy }),
        ...(subsets.length > 0 && { subsets: subsets.map((subset) => ({ name: subset.name, labels: { ...subset.labels } })) }),
      },
    });
  }
}

/**
 * Maps the circuit breaker spec to an Istio TrafficPolicy. Returns undefined when
 * nothing is set, and leaves out every empty block, so Istio's defaults apply to all
 * settings the spec does not name.
 */
export function trafficPolicyOf(circuitBreaker: CircuitBreakerSpec | undefined): TrafficPolicy | undefined {
  if (!circuitBreaker) return undefined;
  const tcp = compact({
    maxConnections: circuitBreaker.maxConnections,
    connectTimeout: circuitBreaker.connectTimeout,
  });
  const http = compact({
    http1MaxPendingRequests: circuitBreaker.maxPendingRequests,
    http2MaxRequests: circuitBreaker.maxRequests,
    maxRequestsPerConnection: circuitBreaker.maxRequestsPerConnection,
    maxRetries: circuitBreaker.maxRetries,
  });
  const connectionPool = compact({ tcp, http });
  const outlier = circuitBreaker.outlierDetection;
  const outlierDetection = outlier && compact({
    consecutive5xxErrors: outlier.consecutive5xxErrors,
    consecutiveGatewayErrors: outlier.consecutiveGatewayErrors,
    interval: outlier.interval,
    baseEjectionTime: outlier.baseEjectionTime,
    maxEjectionPercent: outlier.maxEjectionPercent,
    minHealthPercent: outlier.minHealthPercent,
  });
  return compact({ connectionPool, outlierDetection });
}

/** Drops undefined fields, and returns undefined when none is left. */
function compact<T extends object>(fields: T): T | undefined {
  const entries = Object.entries(fields).filter(([, value]) => value !== undefined);
  return entries.length > 0 ? (Object.fromEntries(entries) as T) : undefined;
}
