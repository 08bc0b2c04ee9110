import { describe, expect, it } from 'vitest';

import { assertClusterConnectable, clusterConnectProblem, type EksClusterInfo } from '../../../operator/src/eks/cluster.ts';

function cluster(overrides: Partial<EksClusterInfo> = {}): EksClusterInfo {
  return {
    name: 'demo',
    arn: 'arn:aws:eks:eu-west-1:111122223333:cluster/demo',
    region: 'eu-west-1',
    status: 'ACTIVE',
    version: '1.31',
    endpoint: 'https://EXAMPLE.gr7.eu-west-1.eks.amazonaws.com',
    certificateAuthorityData: 'LS0tLS1CRUdJTg==',
    ...overrides,
  };
}

describe('clusterConnectProblem', () => {
  it('accepts an ACTIVE cluster', () => {
    expect(clusterConnectProblem(cluster())).toBeUndefined();
  });

  it('accepts an UPDATING cluster', () => {
    expect(clusterConnectProblem(cluster({ status: 'UPDATING' }))).toBeUndefined();
  });

  it.each(['CREATING', 'PENDING'])('asks to wait for %s', (status) => {
    const problem = clusterConnectProblem(cluster({ status }));
    expect(problem).toContain(`is ${status}, not ACTIVE`);
    expect(problem).toContain('wait until it is ACTIVE');
  });

  it.each(['DELETING', 'FAILED', 'UNKNOWN'])('rejects %s', (status) => {
    const problem = clusterConnectProblem(cluster({ status }));
    expect(problem).toContain(`EKS cluster "demo" in eu-west-1 is ${status}, not ACTIVE`);
    expect(problem).toContain('aws eks describe-cluster');
  });

  it('names missing connection fields', () => {
    const problem = clusterConnectProblem(cluster({ endpoint: '', certificateAuthorityData: '' }));
    expect(problem).toContain('returned no endpoint, certificateAuthority.data');
  });
});

describe('assertClusterConnectable', () => {
  it('throws the problem', () => {
    expect(() => assertClusterConnectable(cluster({ status: 'FAILED' }))).toThrow('is FAILED, not ACTIVE');
  });
});
