import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PLATFORM } from '../../cdk8s/src/api/platform.ts';
import { renderCrdYaml } from '../../crds/src/yaml.ts';
import { apiVersionOf } from '../../operator/src/kube/resources.ts';
import { ownedTypes } from '../../operator/src/microservice/owned-types.ts';
import { requestAttributes, rulesAllow } from '../../operator/src/rbac/authorize.ts';
import { renderRbacRulesTemplate } from '../../operator/src/rbac/chart-template.ts';
import { OWNED_VERBS, operatorPermissions, type PolicyRule } from '../../operator/src/rbac/rules.ts';

const chartFile = (path: string) => readFileSync(new URL(`../../charts/flywheel/${path}`, import.meta.url), 'utf8');

describe('generated chart files', () => {
  it('RBAC rules match operator/src/rbac', () => {
    expect(chartFile('templates/_rbac-rules.tpl'), 'run `npm run generate` and commit the result').toBe(renderRbacRulesTemplate());
  });

  it('CRD copy matches crds/src', () => {
    expect(chartFile('crds/microservices.flywheel.dev.yaml'), 'run `npm run generate` and commit the result').toBe(renderCrdYaml());
  });
});

describe('operatorPermissions', () => {
  const permissions = operatorPermissions();
  const all = Object.values(permissions).flat() as PolicyRule[];

  it.each(ownedTypes({ ...DEFAULT_PLATFORM, mesh: { enabled: true } }).map((type) => [`${type.plural}.${apiVersionOf(type)}`, type] as const))(
    'grants the owned kind %s',
    (_name, type) => {
      const rules = [...permissions.manager, ...permissions.mesh];
      for (const verb of OWNED_VERBS) {
        const path = `/${type.group ? 'apis' : 'api'}/${apiVersionOf(type)}/namespaces/shop/${type.plural}${verb === 'list' || verb === 'watch' ? '' : '/orders'}`;
        const method = { create: 'POST', delete: 'DELETE', get: 'GET', list: 'GET', patch: 'PATCH', watch: 'GET' }[verb] as string;
        const url = verb === 'watch' ? `${path}?watch=true` : path;
        expect(rulesAllow(rules, requestAttributes(method, url)), `${verb} ${type.plural}`).toBe(true);
      }
    },
  );

  it('keeps Istio kinds out of the manager rules', () => {
    const groups = permissions.manager.flatMap((rule) => rule.apiGroups ?? []);
    expect(groups).not.toContain('networking.istio.io');
  });

  it('puts only Istio kinds in the mesh rules', () => {
    expect(permissions.mesh.flatMap((rule) => rule.apiGroups ?? [])).toEqual(['networking.istio.io']);
  });

  it('grants no wildcard', () => {
    const wildcards = all.filter((rule) => [rule.apiGroups, rule.resources, rule.verbs].some((list) => list?.includes('*')));
    expect(wildcards).toEqual([]);
  });

  it.each([
    ['secrets', 'GET', '/api/v1/namespaces/shop/secrets/db'],
    ['pods', 'GET', '/api/v1/namespaces/shop/pods'],
    ['Microservice spec updates', 'PUT', '/apis/flywheel.dev/v1alpha1/namespaces/shop/microservices/orders'],
    ['Microservice deletes', 'DELETE', '/apis/flywheel.dev/v1alpha1/namespaces/shop/microservices/orders'],
    ['Deployment updates', 'PUT', '/apis/apps/v1/namespaces/shop/deployments/orders'],
    ['Deployment collection deletes', 'DELETE', '/apis/apps/v1/namespaces/shop/deployments'],
    ['Namespace creation', 'POST', '/api/v1/namespaces'],
    ['ClusterRoleBinding creation', 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings'],
  ])('denies %s', (_name, method, url) => {
    expect(rulesAllow(all, requestAttributes(method, url))).toBe(false);
  });

  it('limits leader election to Leases', () => {
    expect(new Set(permissions.leaderElection.flatMap((rule) => rule.resources ?? []))).toEqual(new Set(['leases']));
  });

  it('lets leader election update its Lease', () => {
    const rules = operatorPermissions({ leaseName: 'orders-flywheel' }).leaderElection;
    expect(rulesAllow(rules, requestAttributes('PUT', '/apis/coordination.k8s.io/v1/namespaces/ops/leases/orders-flywheel'))).toBe(true);
  });

  it('denies updates of other Leases', () => {
    const rules = operatorPermissions({ leaseName: 'orders-flywheel' }).leaderElection;
    expect(rulesAllow(rules, requestAttributes('PUT', '/apis/coordination.k8s.io/v1/namespaces/ops/leases/kube-scheduler'))).toBe(false);
  });

  it('lets leader election create its Lease', () => {
    const rules = operatorPermissions({ leaseName: 'orders-flywheel' }).leaderElection;
    expect(rulesAllow(rules, requestAttributes('POST', '/apis/coordination.k8s.io/v1/namespaces/ops/leases'))).toBe(true);
  });

  it('lets Prometheus read /metrics only', () => {
    expect(permissions.metricsReader).toEqual([{ nonResourceURLs: ['/metrics'], verbs: ['get'] }]);
  });
});

describe('requestAttributes', () => {
  const cases: Array<[string, string, string, Partial<ReturnType<typeof requestAttributes>>]> = [
    ['list', 'GET', '/apis/apps/v1/namespaces/shop/deployments?limit=500', { verb: 'list', apiGroup: 'apps', resource: 'deployments', namespace: 'shop' }],
    ['watch', 'GET', '/api/v1/namespaces/shop/services?watch=true&resourceVersion=5', { verb: 'watch', apiGroup: '', resource: 'services' }],
    ['get', 'GET', '/api/v1/namespaces/shop/configmaps/orders', { verb: 'get', name: 'orders' }],
    ['all-namespace list', 'GET', '/apis/flywheel.dev/v1alpha1/microservices', { verb: 'list', namespace: '', resource: 'microservices' }],
    ['status apply', 'PATCH', '/apis/flywheel.dev/v1alpha1/namespaces/shop/microservices/orders/status', { verb: 'patch', subresource: 'status' }],
    ['create', 'POST', '/api/v1/namespaces/shop/events', { verb: 'create', resource: 'events' }],
    ['delete', 'DELETE', '/apis/policy/v1/namespaces/shop/poddisruptionbudgets/orders', { verb: 'delete', name: 'orders' }],
    ['Namespace object', 'GET', '/api/v1/namespaces/shop', { verb: 'get', resource: 'namespaces', name: 'shop', namespace: '' }],
    ['cluster-scoped create', 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', { verb: 'create', apiGroup: 'authentication.k8s.io', resource: 'tokenreviews' }],
    ['discovery', 'GET', '/apis/flywheel.dev/v1alpha1', { isResourceRequest: false, verb: 'get' }],
    ['version', 'GET', '/version', { isResourceRequest: false, path: '/version' }],
  ];

  it.each(cases)('maps %s', (_name, method, url, expected) => {
    expect(requestAttributes(method, url)).toMatchObject(expected);
  });
});

describe('rulesAllow', () => {
  const lease: PolicyRule = { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['flywheel'], verbs: ['get', 'update'] };

  it('matches a resource name', () => {
    expect(rulesAllow([lease], requestAttributes('GET', '/apis/coordination.k8s.io/v1/namespaces/x/leases/flywheel'))).toBe(true);
  });

  it('rejects another resource name', () => {
    expect(rulesAllow([lease], requestAttributes('GET', '/apis/coordination.k8s.io/v1/namespaces/x/leases/other'))).toBe(false);
  });

  it('keeps a subresource apart from its resource', () => {
    const status: PolicyRule = { apiGroups: ['flywheel.dev'], resources: ['microservices/status'], verbs: ['patch'] };
    expect(rulesAllow([status], requestAttributes('PATCH', '/apis/flywheel.dev/v1alpha1/namespaces/x/microservices/a'))).toBe(false);
  });

  it('matches a non-resource URL', () => {
    expect(rulesAllow([{ nonResourceURLs: ['/metrics'], verbs: ['get'] }], requestAttributes('GET', '/metrics'))).toBe(true);
  });

  it('matches a wildcard verb', () => {
    expect(rulesAllow([{ apiGroups: [''], resources: ['pods'], verbs: ['*'] }], requestAttributes('DELETE', '/api/v1/namespaces/x/pods/a'))).toBe(true);
  });
});
