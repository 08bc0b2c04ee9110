import { describe, expect, it } from 'vitest';

import { clusterCapabilities, parseKubernetesVersion } from '../../../operator/src/eks/capabilities.ts';

describe('parseKubernetesVersion', () => {
  const valid: Array<[string, number, number]> = [
    ['1.28', 1, 28],
    ['1.29', 1, 29],
    ['v1.30.2', 1, 30],
    ['1.33-eks-f69f56f', 1, 33],
    ['v1.30.2-eks-1552ad0', 1, 30],
    ['1.29+', 1, 29],
    [' 1.31 ', 1, 31],
    ['2.0', 2, 0],
  ];
  it.each(valid)('parses %j', (version, major, minor) => {
    expect(parseKubernetesVersion(version)).toEqual({ major, minor });
  });

  const invalid = ['', '1', 'v1', 'latest', '1.x', 'one.two', '1..29', 'v1.29garbage', '1.29.', 'eks-1.29'];
  it.each(invalid)('rejects %j', (version) => {
    expect(() => parseKubernetesVersion(version)).toThrow(`invalid Kubernetes version "${version}"`);
  });
});

describe('clusterCapabilities', () => {
  const cases: Array<[string, boolean]> = [
    ['1.27', false],
    ['1.28', false],
    ['v1.28.15-eks-abcdef0', false],
    ['1.29', true],
    ['v1.30.2', true],
    ['1.33-eks-f69f56f', true],
    ['2.0', true],
  ];
  it.each(cases)('native sidecars on %s: %s', (version, expected) => {
    expect(clusterCapabilities(version).nativeSidecars).toBe(expected);
  });

  it('rejects garbage with the fix', () => {
    expect(() => clusterCapabilities('banana')).toThrow(/expected MAJOR\.MINOR/);
  });
});
