/**
 * Turns an API request into the attributes that RBAC authorizes (verb, API group,
 * resource, subresource, namespace, name) and checks them against PolicyRules, as
 * k8s.io/apiserver's RequestInfoFactory and the RBAC authorizer of Kubernetes 1.34 do
 * for the paths the operator calls. The deprecated /watch/ path prefix and list
 * requests narrowed to one name by a field selector are not handled.
 * test/e2e/rbac.test.ts uses this to compare the operator's calls with the chart's rules.
 */
import type { PolicyRule } from './rules.ts';

export interface RequestAttributes {
  verb: string;
  /** False for non-resource URLs such as /version and discovery paths. */
  isResourceRequest: boolean;
  path: string;
  apiGroup: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
}

/** Maps an HTTP method and URL of the Kubernetes API to its RBAC attributes. */
export function requestAttributes(method: string, url: string): RequestAttributes {
  const parsed = new URL(url, 'http://localhost');
  const segments = parsed.pathname.split('/').filter(Boolean);
  const nonResource: RequestAttributes = {
    verb: method.toLowerCase(),
    isResourceRequest: false,
    path: parsed.pathname,
    apiGroup: '',
    resource: '',
    subresource: '',
    namespace: '',
    name: '',
  };

  // /api/v1/... is the core group; /apis/GROUP/VERSION/... any other.
  let rest: string[];
  let apiGroup: string;
  if (segments[0] === 'api' && segments.length >= 3) {
    apiGroup = '';
    rest = segments.slice(2);
  } else if (segments[0] === 'apis' && segments.length >= 4) {
    apiGroup = segments[1] as string;
    rest = segments.slice(3);
  } else {
    return nonResource;
  }

  let namespace = '';
  // "namespaces/NAME" alone is the Namespace object itself, not a namespace scope.
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1] as string;
    rest = rest.slice(2);
  }
  const [resource = '', name = '', subresource = ''] = rest;
  const watch = parsed.searchParams.get('watch');
  let readVerb = 'list';
  if (name) readVerb = 'get';
  else if (watch === 'true' || watch === '1') readVerb = 'watch';

  const verbs: Record<string, string> = {
    GET: readVerb,
    HEAD: name ? 'get' : 'list',
    POST: 'create',
    PUT: 'update',
    PATCH: 'patch',
    DELETE: name ? 'delete' : 'deletecollection',
  };
  return {
    verb: verbs[method.toUpperCase()] ?? method.toLowerCase(),
    isResourceRequest: true,
    path: parsed.pathname,
    apiGroup,
    resource,
    subresource,
    namespace,
    name,
  };
}

const matches = (allowed: string[] | undefined, value: string): boolean =>
  (allowed ?? []).some((entry) => entry === '*' || entry === value);

/** True when `rule` allows the request, with RBAC's matching of "*" and of "resource/subresource". */
export function ruleAllows(rule: PolicyRule, request: RequestAttributes): boolean {
  if (!matches(rule.verbs, request.verb)) return false;
  if (!request.isResourceRequest) {
    return (rule.nonResourceURLs ?? []).some((url) =>
      url.endsWith('*') ? request.path.startsWith(url.slice(0, -1)) : url === request.path,
    );
  }
  const resource = request.subresource ? `${request.resource}/${request.subresource}` : request.resource;
  if (!matches(rule.apiGroups, request.apiGroup) || !matches(rule.resources, resource)) return false;
  return !rule.resourceNames || rule.resourceNames.length === 0 || rule.resourceNames.includes(request.name);
}

export const rulesAllow = (rules: PolicyRule[], request: RequestAttributes): boolean =>
  rules.some((rule) => ruleAllows(rule, request));
