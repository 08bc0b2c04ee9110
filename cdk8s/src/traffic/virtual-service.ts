/**
 * The Istio VirtualService (networking.istio.io/v1) of a Microservice: one HTTP route
 * for calls from inside the mesh, carrying the request timeout, the retry policy and
 * the weighted destinations.
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { RetriesSpec } from '../api/traffic.ts';
import type { RenderContext } from '../context.ts';
import { ALL_TO_SERVICE, routeDestinations, type RouteDestination, type WeightedTarget } from './routes.ts';

/** Name of the single HTTP route, so a traffic split can find it. */
export const PRIMARY_ROUTE = 'primary';

/** The parts of Istio's HTTPRetry that Flywheel renders. */
export interface HttpRetry {
  attempts: number;
  perTryTimeout?: string;
  /** Comma-separated retry conditions. */
  retryOn?: string;
}

export interface HttpRoute {
  name: string;
  route: RouteDestination[];
  timeout?: string;
  retries?: HttpRetry;
}

export interface MeshVirtualServiceProps {
  readonly context: RenderContext;
  /** Split of requests between destinations. @default all requests to the whole service */
  readonly targets?: readonly WeightedTarget[];
}

export class MeshVirtualService extends Construct {
  constructor(scope: Construct, id: string, props: MeshVirtualServiceProps) {
    super(scope, id);
    const { context } = props;
    const route: HttpRoute = {
      name: PRIMARY_ROUTE,
      route: routeDestinations(context.serviceHost, props.targets ?? ALL_TO_SERVICE),
    };
    if (context.spec.timeout !== undefined) route.timeout = context.spec.timeout;
    const retries = retryOf(context.spec.retries);
    if (retries) route.retries = retries;

    new ApiObject(this, 'resource', {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: context.name, labels: context.labels },
      spec: {
        // The short name matches callers in the same namespace, and the FQDN matches all others.
        hosts: [context.name, context.serviceHost],
        http: [route],
      },
    });
  }
}

/**
 * Maps the retries spec to an Istio HTTPRetry. Without a spec the field is left out,
 * so Istio's mesh-wide default policy applies (2 retries in Istio 1.28). Zero attempts
 * render as `{ attempts: 0 }` alone, which turns that default off. A per-try timeout or
 * conditions would have no effect then, so the CRD rejects them.
 */
export function retryOf(retries: RetriesSpec | undefined): HttpRetry | undefined {
  if (!retries) return undefined;
  if (retries.attempts === 0) return { attempts: 0 };
  const retry: HttpRetry = { attempts: retries.attempts };
  if (retries.perTryTimeout !== undefined) retry.perTryTimeout = retries.perTryTimeout;
  if (retries.retryOn && retries.retryOn.length > 0) retry.retryOn = retries.retryOn.join(',');
  return retry;
}
