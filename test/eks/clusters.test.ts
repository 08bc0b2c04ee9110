import { describe, expect, it } from 'vitest';

import { createCredentialsProvider, createEksClient } from '../../operator/src/eks/aws.ts';
import { describeEksCluster, listEksClusters } from '../../operator/src/eks/cluster.ts';
import { loadEksKubeConfig } from '../../operator/src/eks/token-provider.ts';
import { decodeEksToken } from '../../operator/src/eks/token.ts';
import { createTestCluster, MOTO_ACCOUNT_ID, TEST_REGION, useMoto } from './moto.ts';

useMoto();

function eksClient(region = TEST_REGION) {
  const access = { region };
  return createEksClient(access, createCredentialsProvider(access));
}

describe('describeEksCluster', () => {
  it('returns the connection fields', async () => {
    await createTestCluster('shop', '1.31');

    const info = await describeEksCluster(eksClient(), 'shop', TEST_REGION);

    expect(info.name).toBe('shop');
    expect(info.arn).toBe(`arn:aws:eks:${TEST_REGION}:${MOTO_ACCOUNT_ID}:cluster/shop`);
    expect(info.status).toBe('ACTIVE');
    expect(info.version).toBe('1.31');
    expect(info.endpoint).toMatch(/^https:\/\/.+\.eks\.amazonaws\.com\/?$/);
    expect(info.certificateAuthorityData).not.toBe('');
    expect(info.oidcIssuer).toMatch(new RegExp(`^https://oidc\\.eks\\.${TEST_REGION}\\.amazonaws\\.com/id/`));
  });

  it('lists existing clusters when the name is missing', async () => {
    await createTestCluster('shop');
    await createTestCluster('search');

    const failure = describeEksCluster(eksClient(), 'shpo', TEST_REGION);

    await expect(failure).rejects.toThrow(`EKS cluster "shpo" not found in ${TEST_REGION}: clusters there are search, shop`);
    await expect(failure).rejects.toThrow('pass --region');
  });

  it('suggests --region for a cluster in another region', async () => {
    await createTestCluster('shop', '1.31', 'us-east-2');

    await expect(describeEksCluster(eksClient(), 'shop', TEST_REGION)).rejects.toThrow(
      `EKS cluster "shop" not found in ${TEST_REGION}, which has no clusters: pass --region`,
    );
  });
});

describe('listEksClusters', () => {
  it('returns every cluster of the region', async () => {
    for (const name of ['a', 'b', 'c']) await createTestCluster(name);
    await createTestCluster('elsewhere', '1.31', 'us-east-2');

    const names = await listEksClusters(eksClient(), TEST_REGION);

    expect(names.sort()).toEqual(['a', 'b', 'c']);
  });

  it('returns nothing for an empty region', async () => {
    expect(await listEksClusters(eksClient('ap-south-1'), 'ap-south-1')).toEqual([]);
  });
});

describe('loadEksKubeConfig', () => {
  it('builds a KubeConfig with a bearer token moto accepts', async () => {
    await createTestCluster('shop', '1.29');

    const eks = await loadEksKubeConfig({ cluster: 'shop' });
    const kubeConfig = await eks.getKubeConfig();
    const options: { headers?: Record<string, string> } = {};
    await kubeConfig.applyToHTTPSOptions(options);

    expect(kubeConfig.getCurrentCluster()?.server).toBe(eks.cluster.endpoint);
    expect(kubeConfig.getCurrentCluster()?.caData).toBe(eks.cluster.certificateAuthorityData);
    expect(eks.capabilities.nativeSidecars).toBe(true);
    const token = options.headers?.Authorization?.replace(/^Bearer /, '') ?? '';
    const response = await fetch(decodeEksToken(token), { headers: { 'x-k8s-aws-id': 'shop' } });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain(`<Account>${MOTO_ACCOUNT_ID}</Account>`);
  });

  it('re-signs when the token nears expiry', async () => {
    await createTestCluster('shop');
    let now = Date.now();
    const eks = await loadEksKubeConfig({ cluster: 'shop', clock: () => new Date(now) });

    const first = await eks.getToken();
    now += 14 * 60_000 + 30_000;
    const second = await eks.getToken();

    expect(second.token).not.toBe(first.token);
    expect(second.signedAt.getTime()).toBe(now);
  });

  it('reports capabilities of an older cluster', async () => {
    await createTestCluster('legacy', '1.28');
    const eks = await loadEksKubeConfig({ cluster: 'legacy', region: TEST_REGION });
    expect(eks.capabilities.nativeSidecars).toBe(false);
  });

  it('rejects a missing cluster', async () => {
    await expect(loadEksKubeConfig({ cluster: 'absent' })).rejects.toThrow(`EKS cluster "absent" not found in ${TEST_REGION}`);
  });
});
