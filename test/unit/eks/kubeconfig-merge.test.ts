import path from 'node:path';

import { describe, expect, it } from 'vitest';
import YAML from 'yaml';

import type { EksClusterInfo } from '../../../operator/src/eks/cluster.ts';
import {
  buildKubeconfigEntry,
  defaultKubeconfigPath,
  mergeKubeconfig,
} from '../../../operator/src/eks/kubeconfig-file.ts';

const ARN = 'arn:aws:eks:eu-west-1:111122223333:cluster/demo';

const demo: EksClusterInfo = {
  name: 'demo',
  arn: ARN,
  region: 'eu-west-1',
  status: 'ACTIVE',
  version: '1.31',
  endpoint: 'https://EXAMPLE.gr7.eu-west-1.eks.amazonaws.com',
  certificateAuthorityData: 'Q0EtREFUQQ==',
};

const OTHER_CONFIG = `# managed by hand
apiVersion: v1
kind: Config
preferences: {}
clusters:
- name: kind-local
  cluster:
    server: https://127.0.0.1:6443
users:
- name: kind-local
  user:
    token: abc
contexts:
- name: kind-local
  context:
    cluster: kind-local
    user: kind-local
    namespace: dev
current-context: kind-local
`;

describe('buildKubeconfigEntry', () => {
  it('names entries by ARN and runs flywheel eks token', () => {
    const entry = buildKubeconfigEntry(demo);

    expect(entry.clusterName).toBe(ARN);
    expect(entry.userName).toBe(ARN);
    expect(entry.contextName).toBe(ARN);
    expect(entry.exec).toEqual({
      apiVersion: 'client.authentication.k8s.io/v1',
      command: 'flywheel',
      args: ['eks', 'token', '--cluster', 'demo', '--region', 'eu-west-1'],
      interactiveMode: 'Never',
    });
  });

  it('uses the alias and passes the role ARN', () => {
    const roleArn = 'arn:aws:iam::111122223333:role/admin';
    const entry = buildKubeconfigEntry(demo, { alias: 'prod', roleArn });

    expect(entry.contextName).toBe('prod');
    expect(entry.exec.args).toEqual(['eks', 'token', '--cluster', 'demo', '--region', 'eu-west-1', '--role-arn', roleArn]);
  });
});

describe('mergeKubeconfig', () => {
  it('creates a config from empty text', () => {
    const config = YAML.parse(mergeKubeconfig('', buildKubeconfigEntry(demo)));

    expect(config.apiVersion).toBe('v1');
    expect(config.kind).toBe('Config');
    expect(config.clusters).toEqual([
      { name: ARN, cluster: { server: demo.endpoint, 'certificate-authority-data': demo.certificateAuthorityData } },
    ]);
    expect(config.users[0].name).toBe(ARN);
    expect(config.users[0].user.exec.command).toBe('flywheel');
    expect(config.contexts).toEqual([{ name: ARN, context: { cluster: ARN, user: ARN } }]);
    expect(config['current-context']).toBe(ARN);
  });

  it('keeps other entries and comments', () => {
    const text = mergeKubeconfig(OTHER_CONFIG, buildKubeconfigEntry(demo, { alias: 'demo' }));
    const config = YAML.parse(text);

    expect(text).toContain('# managed by hand');
    expect(config.preferences).toEqual({});
    expect(config.clusters.map((c: { name: string }) => c.name)).toEqual(['kind-local', ARN]);
    expect(config.users.map((u: { name: string }) => u.name)).toEqual(['kind-local', ARN]);
    expect(config.users[0].user.token).toBe('abc');
    expect(config.contexts.map((c: { name: string }) => c.name)).toEqual(['kind-local', 'demo']);
    expect(config.contexts[0].context.namespace).toBe('dev');
    expect(config['current-context']).toBe('demo');
  });

  it('replaces the same-named entries in place', () => {
    const first = mergeKubeconfig(OTHER_CONFIG, buildKubeconfigEntry(demo, { alias: 'demo' }));
    const moved = { ...demo, endpoint: 'https://NEW.gr7.eu-west-1.eks.amazonaws.com' };
    const roleArn = 'arn:aws:iam::111122223333:role/admin';
    const config = YAML.parse(mergeKubeconfig(first, buildKubeconfigEntry(moved, { alias: 'demo', roleArn })));

    expect(config.clusters).toHaveLength(2);
    expect(config.users).toHaveLength(2);
    expect(config.contexts).toHaveLength(2);
    expect(config.clusters[1].cluster.server).toBe('https://NEW.gr7.eu-west-1.eks.amazonaws.com');
    expect(config.users[1].user.exec.args).toContain(roleArn);
  });

  it('fills lists that are null', () => {
    const config = YAML.parse(mergeKubeconfig('apiVersion: v1\nclusters:\nusers: null\n', buildKubeconfigEntry(demo)));

    expect(config.clusters).toHaveLength(1);
    expect(config.users).toHaveLength(1);
    expect(config.contexts).toHaveLength(1);
  });

  it('rejects invalid YAML with the fix', () => {
    expect(() => mergeKubeconfig('clusters: [\n', buildKubeconfigEntry(demo), 'kubeconfig /x')).toThrow(
      /kubeconfig \/x is not valid YAML .*pass --kubeconfig/,
    );
  });

  it('rejects a top level that is not a mapping', () => {
    expect(() => mergeKubeconfig('- a\n- b\n', buildKubeconfigEntry(demo))).toThrow(/not contain a YAML mapping/);
  });

  it('rejects a clusters field that is not a list', () => {
    expect(() => mergeKubeconfig('clusters: 3\n', buildKubeconfigEntry(demo))).toThrow(/"clusters" field that is not a list/);
  });
});

describe('defaultKubeconfigPath', () => {
  it('takes the first KUBECONFIG path', () => {
    const env = { KUBECONFIG: ['/a/config', '/b/config'].join(path.delimiter) };
    expect(defaultKubeconfigPath(env)).toBe('/a/config');
  });

  it('falls back to ~/.kube/config', () => {
    expect(defaultKubeconfigPath({})).toMatch(/\.kube[/\\]config$/);
  });
});
