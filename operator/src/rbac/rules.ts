/**
 * The RBAC rules the operator needs, derived from the kinds it renders and the API calls
 * its runtime makes. The Helm chart's ClusterRoles and Role are generated from these
 * rules (see chart-template.ts), and test/e2e/rbac.test.ts runs the operator with only
 * these grants, so a call added to the code without a rule here fails that test with 403.
 */
import { DEFAULT_PLATFORM, type PlatformSettings } from '../../../cdk8s/src/api/platform.ts';
import { DEFAULT_LEASE_NAME } from '../config.ts';
import { EVENT, LEASE, MICROSERVICE, type ResourceType } from '../kube/resources.ts';
import { ownedTypes } from '../microservice/owned-types.ts';

/** One rule of a Role or ClusterRole (rbac.authorization.k8s.io/v1 PolicyRule). */
export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
  verbs: string[];
}

/**
 * The operator's permissions, split by the scope the chart binds them in. Each list is
 * bound by its own Role or ClusterRole, so a set that a setting switches off is not granted.
 */
export interface OperatorPermissions {
  /** Namespaced objects of the Microservice controller, bound cluster-wide or per watched namespace. */
  manager: PolicyRule[];
  /** Istio objects, granted only when the chart turns the mesh on. */
  mesh: PolicyRule[];
  /** The leader election Lease, in the operator's own namespace. */
  leaderElection: PolicyRule[];
  /** TokenReviews and SubjectAccessReviews that authenticate and authorize scrapes of /metrics. */
  metricsAuth: PolicyRule[];
  /** Permission of a Prometheus server to scrape the operator when metrics authentication is on. */
  metricsReader: PolicyRule[];
}

/**
 * Verbs on every owned kind, by the call that uses them:
 * - list, watch: the informers that cache owned objects;
 * - get: the ownership check before the first apply of an object (reconciler.ts);
 * - patch: server-side apply;
 * - create: also server-side apply, because the API server authorizes an apply that
 *   creates the object as `create` as well as `patch` (test/e2e/rbac.test.ts shows that
 *   removing `create` on Deployments stops new Microservices with 403);
 * - delete: pruning objects that the spec no longer renders.
 */
export const OWNED_VERBS = ['create', 'delete', 'get', 'list', 'patch', 'watch'];

/**
 * The operator reads Microservices through its informers, and removes the release
 * command annotations (release/releases.ts) with a merge patch once it has run the
 * command. RBAC cannot limit `patch` to annotations, so this also permits spec changes,
 * which the operator never makes.
 */
export const MICROSERVICE_VERBS = ['list', 'patch', 'watch'];

/** Status is written by server-side apply on the status subresource. */
export const MICROSERVICE_STATUS_VERBS = ['patch'];

/**
 * Owned objects carry `blockOwnerDeletion: true`. Where the API server runs the
 * OwnerReferencesPermissionEnforcement admission plugin (off by default in Kubernetes
 * 1.34, on in OpenShift), setting that field requires `update` on the owner's finalizers
 * subresource, and changing ownerReferences requires `delete` on the object, which
 * OWNED_VERBS grants. The local control plane does not run the plugin, so no test shows
 * this rule is needed.
 */
export const MICROSERVICE_FINALIZERS_VERBS = ['update'];

/** The event recorder creates an Event, then raises its count with a merge patch. */
export const EVENT_VERBS = ['create', 'patch'];

/**
 * Leader election reads its Lease, creates it when missing, and renews or takes it over
 * with an update that carries the read resourceVersion. RBAC cannot limit `create` to a
 * name, because the name is not in the request's URL, so that verb gets its own rule.
 */
export const LEASE_CREATE_VERBS = ['create'];
export const LEASE_NAMED_VERBS = ['get', 'update'];

/** The resource name RBAC uses for a type, with an optional subresource. */
const resourceName = (type: ResourceType, subresource?: string): string =>
  subresource ? `${type.plural}/${subresource}` : type.plural;

/** Builds one rule per API group, resources sorted, so the generated chart is stable. */
export function rulesByGroup(types: ResourceType[], verbs: string[]): PolicyRule[] {
  const byGroup = new Map<string, Set<string>>();
  for (const type of types) {
    const resources = byGroup.get(type.group) ?? new Set<string>();
    resources.add(type.plural);
    byGroup.set(type.group, resources);
  }
  return [...byGroup.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([group, resources]) => ({ apiGroups: [group], resources: [...resources].sort(), verbs: [...verbs].sort() }));
}

const withMesh = (enabled: boolean): PlatformSettings => ({ ...DEFAULT_PLATFORM, mesh: { enabled } });

export interface PermissionOptions {
  /** Name of the leader election Lease, the only Lease the operator may read and update. */
  leaseName: string;
}

/** Derives the operator's rules from the owned kinds and the runtime's calls. */
export function operatorPermissions(options: PermissionOptions = { leaseName: DEFAULT_LEASE_NAME }): OperatorPermissions {
  const core = ownedTypes(withMesh(false));
  const coreKeys = new Set(core.map((type) => `${type.group}/${type.plural}`));
  const meshOnly = ownedTypes(withMesh(true)).filter((type) => !coreKeys.has(`${type.group}/${type.plural}`));

  return {
    manager: [
      { apiGroups: [MICROSERVICE.group], resources: [resourceName(MICROSERVICE)], verbs: MICROSERVICE_VERBS },
      { apiGroups: [MICROSERVICE.group], resources: [resourceName(MICROSERVICE, 'status')], verbs: MICROSERVICE_STATUS_VERBS },
      { apiGroups: [MICROSERVICE.group], resources: [resourceName(MICROSERVICE, 'finalizers')], verbs: MICROSERVICE_FINALIZERS_VERBS },
      { apiGroups: [EVENT.group], resources: [resourceName(EVENT)], verbs: EVENT_VERBS },
      ...rulesByGroup(core, OWNED_VERBS),
    ],
    mesh: rulesByGroup(meshOnly, OWNED_VERBS),
    leaderElection: [
      { apiGroups: [LEASE.group], resources: [resourceName(LEASE)], verbs: LEASE_CREATE_VERBS },
      { apiGroups: [LEASE.group], resources: [resourceName(LEASE)], resourceNames: [options.leaseName], verbs: LEASE_NAMED_VERBS },
    ],
    metricsAuth: [
      { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
      { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
    ],
    metricsReader: [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }],
  };
}
