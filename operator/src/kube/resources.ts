/** Maps object kinds to their REST paths on the API server. */

export interface ResourceType {
  /** "" for the core group. */
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

export const apiVersionOf = (type: ResourceType): string =>
  type.group === '' ? type.version : `${type.group}/${type.version}`;

export function collectionPath(type: ResourceType, namespace?: string): string {
  const base = type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
  const scope = type.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${scope}/${type.plural}`;
}

export const objectPath = (type: ResourceType, namespace: string | undefined, name: string): string =>
  `${collectionPath(type, namespace)}/${encodeURIComponent(name)}`;

export const MICROSERVICE: ResourceType = { group: 'flywheel.dev', version: 'v1alpha1', kind: 'Microservice', plural: 'microservices', namespaced: true };
export const DEPLOYMENT: ResourceType = { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true };
export const SERVICE: ResourceType = { group: '', version: 'v1', kind: 'Service', plural: 'services', namespaced: true };
export const SERVICE_ACCOUNT: ResourceType = { group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true };
export const CONFIG_MAP: ResourceType = { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true };
export const EVENT: ResourceType = { group: '', version: 'v1', kind: 'Event', plural: 'events', namespaced: true };
export const LEASE: ResourceType = { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases', namespaced: true };
export const HPA: ResourceType = { group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers', namespaced: true };
export const PDB: ResourceType = { group: 'policy', version: 'v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', namespaced: true };
export const DESTINATION_RULE: ResourceType = { group: 'networking.istio.io', version: 'v1', kind: 'DestinationRule', plural: 'destinationrules', namespaced: true };
export const VIRTUAL_SERVICE: ResourceType = { group: 'networking.istio.io', version: 'v1', kind: 'VirtualService', plural: 'virtualservices', namespaced: true };

const KNOWN = [MICROSERVICE, DEPLOYMENT, SERVICE, SERVICE_ACCOUNT, CONFIG_MAP, EVENT, LEASE, HPA, PDB, DESTINATION_RULE, VIRTUAL_SERVICE];

/** Finds the resource type of a rendered object; every kind the operator renders is listed above. */
export function resourceTypeOf(apiVersion: string, kind: string): ResourceType {
  const type = KNOWN.find((candidate) => apiVersionOf(candidate) === apiVersion && candidate.kind === kind);
  if (!type) {
    throw new Error(`no REST mapping for ${apiVersion} ${kind}; add it to operator/src/kube/resources.ts`);
  }
  return type;
}
