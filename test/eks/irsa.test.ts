import { describe, expect, it } from 'vitest';

import { runEksCommand } from '../../operator/src/cli/eks.ts';
import type { PolicyDocument } from '../../operator/src/eks/iam-policies.ts';
import { captureIo, createTestCluster, MOTO_ACCOUNT_ID, TEST_REGION, useMoto } from './moto.ts';
import { describeEksCluster } from '../../operator/src/eks/cluster.ts';
import { createCredentialsProvider, createEksClient } from '../../operator/src/eks/aws.ts';

useMoto();

interface IrsaOutput {
  oidcProviderArn: string;
  serviceAccount: string;
  logGroupArn: string;
  trustPolicy: PolicyDocument;
  permissionsPolicy: PolicyDocument;
}

async function irsa(...argv: string[]) {
  const output = captureIo();
  const code = await runEksCommand(['irsa', ...argv], output.io);
  return { code, stdout: output.stdout.join(''), stderr: output.stderr.join('') };
}

async function issuerOf(cluster: string): Promise<string> {
  const access = { region: TEST_REGION };
  const info = await describeEksCluster(createEksClient(access, createCredentialsProvider(access)), cluster, TEST_REGION);
  return info.oidcIssuer ?? '';
}

describe('flywheel eks irsa', () => {
  it('prints the trust policy for the service account', async () => {
    await createTestCluster('shop');
    const provider = (await issuerOf('shop')).replace(/^https:\/\//, '');

    const result = await irsa('--cluster', 'shop', '--namespace', 'payments', '--service-account', 'checkout');

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout) as IrsaOutput;
    expect(output.oidcProviderArn).toBe(`arn:aws:iam::${MOTO_ACCOUNT_ID}:oidc-provider/${provider}`);
    expect(output.serviceAccount).toBe('payments/checkout');
    const statement = output.trustPolicy.Statement[0];
    expect(statement?.Principal).toEqual({ Federated: output.oidcProviderArn });
    expect(statement?.Action).toBe('sts:AssumeRoleWithWebIdentity');
    expect(statement?.Condition).toEqual({
      StringEquals: {
        [`${provider}:sub`]: 'system:serviceaccount:payments:checkout',
        [`${provider}:aud`]: 'sts.amazonaws.com',
      },
    });
  });

  it('defaults the log group to /flywheel/NAMESPACE/SERVICE-ACCOUNT', async () => {
    await createTestCluster('shop');

    const result = await irsa('--cluster', 'shop', '--namespace', 'payments', '--service-account', 'checkout');

    const output = JSON.parse(result.stdout) as IrsaOutput;
    const group = `arn:aws:logs:${TEST_REGION}:${MOTO_ACCOUNT_ID}:log-group:/flywheel/payments/checkout`;
    expect(output.logGroupArn).toBe(group);
    expect(output.permissionsPolicy.Statement.map((s) => s.Resource)).toEqual([group, `${group}:log-stream:*`]);
  });

  it('uses the --log-group value', async () => {
    await createTestCluster('shop');

    const result = await irsa('--cluster', 'shop', '--namespace', 'payments', '--service-account', 'checkout', '--log-group', '/apps/checkout');

    const output = JSON.parse(result.stdout) as IrsaOutput;
    expect(output.logGroupArn).toBe(`arn:aws:logs:${TEST_REGION}:${MOTO_ACCOUNT_ID}:log-group:/apps/checkout`);
  });

  it('rejects a missing cluster', async () => {
    const result = await irsa('--cluster', 'absent', '--namespace', 'payments', '--service-account', 'checkout');

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`EKS cluster "absent" not found in ${TEST_REGION}`);
  });
});
