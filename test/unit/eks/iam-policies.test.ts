import { describe, expect, it } from 'vitest';

import {
  buildIrsaTrustPolicy,
  buildLogsPolicy,
  defaultLogGroupName,
  oidcProviderArn,
  oidcProviderPath,
  partitionOf,
  validateLogGroupName,
  validateNamespace,
  validateServiceAccountName,
  type IrsaInput,
} from '../../../operator/src/eks/iam-policies.ts';

const ISSUER = 'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';
const PROVIDER = 'oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';

const input: IrsaInput = {
  partition: 'aws',
  accountId: '111122223333',
  region: 'eu-west-1',
  oidcIssuer: ISSUER,
  namespace: 'shop',
  serviceAccount: 'cart',
  logGroup: '/flywheel/shop/cart',
};

describe('buildIrsaTrustPolicy', () => {
  it('trusts the cluster OIDC provider for one service account', () => {
    expect(buildIrsaTrustPolicy(input)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Federated: `arn:aws:iam::111122223333:oidc-provider/${PROVIDER}` },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: {
            StringEquals: {
              [`${PROVIDER}:sub`]: 'system:serviceaccount:shop:cart',
              [`${PROVIDER}:aud`]: 'sts.amazonaws.com',
            },
          },
        },
      ],
    });
  });

  it('uses the partition of the cluster', () => {
    expect(oidcProviderArn({ ...input, partition: 'aws-cn' })).toMatch(/^arn:aws-cn:iam::111122223333:oidc-provider\//);
  });
});

describe('oidcProviderPath', () => {
  it('drops the scheme and a trailing slash', () => {
    expect(oidcProviderPath(`${ISSUER}/`)).toBe(PROVIDER);
  });

  it('rejects a non-https issuer', () => {
    expect(() => oidcProviderPath('http://oidc.example')).toThrow(/expected an https URL/);
  });
});

describe('buildLogsPolicy', () => {
  it('allows writing the log group and its streams', () => {
    const group = 'arn:aws:logs:eu-west-1:111122223333:log-group:/flywheel/shop/cart';
    const policy = buildLogsPolicy(input);
    const actions = policy.Statement.flatMap((s) => s.Action);

    expect(actions.sort()).toEqual([
      'logs:CreateLogGroup',
      'logs:CreateLogStream',
      'logs:DescribeLogStreams',
      'logs:PutLogEvents',
      'logs:PutRetentionPolicy',
    ]);
    expect(policy.Statement[0]?.Resource).toBe(group);
    expect(policy.Statement[1]?.Resource).toBe(`${group}:log-stream:*`);
  });
});

describe('names', () => {
  it('derives the default log group', () => {
    expect(defaultLogGroupName('shop', 'cart')).toBe('/flywheel/shop/cart');
  });

  it.each(['Shop', 'shop_1', '-shop', 'a'.repeat(64), ''])('rejects namespace %j', (name) => {
    expect(() => validateNamespace(name)).toThrow(/expected a DNS label/);
  });

  it.each(['cart', 'cart.v2', 'a-b'])('accepts service account %j', (name) => {
    expect(validateServiceAccountName(name)).toBe(name);
  });

  it.each(['Cart', 'cart_1', 'cart.'])('rejects service account %j', (name) => {
    expect(() => validateServiceAccountName(name)).toThrow(/expected a DNS subdomain/);
  });

  it.each(['bad name', 'a:b', ''])('rejects log group %j', (name) => {
    expect(() => validateLogGroupName(name)).toThrow(/invalid log group name/);
  });

  it('reads the partition of an ARN', () => {
    expect(partitionOf('arn:aws-us-gov:eks:us-gov-west-1:111122223333:cluster/demo')).toBe('aws-us-gov');
    expect(() => partitionOf('demo')).toThrow(/invalid ARN "demo"/);
  });
});
