import { describe, expect, it } from 'vitest';

import type { AwsCredentials } from '../../../operator/src/eks/aws.ts';
import { EksKubeConfig, EksTokenSource } from '../../../operator/src/eks/token-provider.ts';
import { decodeEksToken } from '../../../operator/src/eks/token.ts';

const credentials: AwsCredentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const endpoint = { protocol: 'https:', hostname: 'sts.eu-west-1.amazonaws.com', path: '/' };

function fakeClock(start: string) {
  let now = new Date(start).getTime();
  return {
    now: () => new Date(now),
    advance: (ms: number) => {
      now += ms;
    },
  };
}

function source(clock: ReturnType<typeof fakeClock>, signings: { count: number }) {
  return new EksTokenSource({
    cluster: 'demo',
    region: 'eu-west-1',
    credentials: async () => {
      signings.count += 1;
      return credentials;
    },
    stsEndpoint: endpoint,
    clock: clock.now,
  });
}

function signedAt(token: string): string | null {
  return decodeEksToken(token).searchParams.get('X-Amz-Date');
}

describe('EksTokenSource', () => {
  it('reuses a token with time left', async () => {
    const clock = fakeClock('2024-01-02T03:00:00Z');
    const signings = { count: 0 };
    const tokens = source(clock, signings);

    const first = await tokens.getToken();
    clock.advance(13 * 60_000);
    const second = await tokens.getToken();

    expect(second.token).toBe(first.token);
    expect(signings.count).toBe(1);
  });

  it('re-signs with less than 60 s left', async () => {
    const clock = fakeClock('2024-01-02T03:00:00Z');
    const signings = { count: 0 };
    const tokens = source(clock, signings);

    const first = await tokens.getToken();
    clock.advance(14 * 60_000 + 1_000);
    const second = await tokens.getToken();

    expect(signedAt(first.token)).toBe('20240102T030000Z');
    expect(signedAt(second.token)).toBe('20240102T031401Z');
    expect(signings.count).toBe(2);
  });

  it('signs once for concurrent callers', async () => {
    const signings = { count: 0 };
    const tokens = source(fakeClock('2024-01-02T03:00:00Z'), signings);

    const results = await Promise.all([tokens.getToken(), tokens.getToken(), tokens.getToken()]);

    expect(new Set(results.map((r) => r.token)).size).toBe(1);
    expect(signings.count).toBe(1);
  });
});

describe('EksKubeConfig', () => {
  const cluster = {
    name: 'demo',
    arn: 'arn:aws:eks:eu-west-1:111122223333:cluster/demo',
    region: 'eu-west-1',
    status: 'ACTIVE',
    version: '1.30',
    endpoint: 'https://EXAMPLE.gr7.eu-west-1.eks.amazonaws.com',
    certificateAuthorityData: Buffer.from('not a real CA').toString('base64'),
  };

  it('puts the current token into each request', async () => {
    const clock = fakeClock('2024-01-02T03:00:00Z');
    const kubeConfig = await new EksKubeConfig(cluster, source(clock, { count: 0 })).getKubeConfig();

    expect(kubeConfig.getCurrentCluster()?.server).toBe(cluster.endpoint);
    const before: { headers?: Record<string, string> } = {};
    await kubeConfig.applyToHTTPSOptions(before);
    clock.advance(15 * 60_000);
    const after: { headers?: Record<string, string> } = {};
    await kubeConfig.applyToHTTPSOptions(after);

    const beforeToken = before.headers?.Authorization?.replace('Bearer ', '') ?? '';
    const afterToken = after.headers?.Authorization?.replace('Bearer ', '') ?? '';
    expect(signedAt(beforeToken)).toBe('20240102T030000Z');
    expect(signedAt(afterToken)).toBe('20240102T031500Z');
  });

  it('reports capabilities from the cluster version', () => {
    const eks = new EksKubeConfig(cluster, source(fakeClock('2024-01-02T03:00:00Z'), { count: 0 }));
    expect(eks.capabilities).toEqual({ nativeSidecars: true });
  });
});
