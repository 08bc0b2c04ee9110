/**
 * Weighted destinations of the service's HTTP route. Every VirtualService route is built
 * here, so a release strategy that splits traffic between subsets only passes other
 * weights, and the sum-to-100 rule is checked in one place.
 */

/** One destination of a split: a DestinationRule subset, or the whole service when unset. */
export interface WeightedTarget {
  /** Name of a subset of the service's DestinationRule. @default the whole service */
  readonly subset?: string;
  /** Share of requests, in percent (0 to 100). */
  readonly weight: number;
}

/** An Istio HTTPRouteDestination (networking.istio.io/v1). */
export interface RouteDestination {
  destination: { host: string; subset?: string };
  weight: number;
}

/** All requests to the whole service. */
export const ALL_TO_SERVICE: readonly WeightedTarget[] = [{ weight: 100 }];

/**
 * Builds the route destinations for `host`, one per target. Throws when the weights are
 * not whole percentages that sum to 100, or a subset appears twice, because Istio would
 * otherwise reject the VirtualService (or normalise the weights) only at run time.
 */
export function routeDestinations(host: string, targets: readonly WeightedTarget[] = ALL_TO_SERVICE): RouteDestination[] {
  if (targets.length === 0) {
    throw new Error(`no route destinations for ${host}; pass at least one weighted target`);
  }
  const subsets = new Set<string | undefined>();
  for (const target of targets) {
    if (!Number.isInteger(target.weight) || target.weight < 0 || target.weight > 100) {
      throw new Error(`route weight ${target.weight} for ${describe(host, target)} is invalid; use a whole number from 0 to 100`);
    }
    if (subsets.has(target.subset)) {
      throw new Error(`${describe(host, target)} appears twice in the route; give each destination once`);
    }
    subsets.add(target.subset);
  }
  const total = targets.reduce((sum, target) => sum + target.weight, 0);
  if (total !== 100) {
    const weights = targets.map((target) => `${describe(host, target)}=${target.weight}`).join(', ');
    throw new Error(`route weights for ${host} sum to ${total}, not 100 (${weights}); adjust them to sum to 100`);
  }

  return targets.map((target) => ({
    destination: target.subset === undefined ? { host } : { host, subset: target.subset },
    weight: target.weight,
  }));
}

const describe = (host: string, target: WeightedTarget): string =>
  target.subset === undefined ? `service ${host}` : `subset ${target.subset} of ${host}`;
