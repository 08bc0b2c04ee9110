// IAM documents for running a Flywheel workload's pods under IAM roles for service
// accounts (IRSA) and letting them write to CloudWatch Logs.

/** An IAM policy document. */
export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: Record<string, string>;
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string>>;
}

export interface IrsaInput {
  /** AWS partition from the cluster ARN: aws, aws-cn or aws-us-gov. */
  partition: string;
  accountId: string;
  region: string;
  /** The cluster's OIDC issuer URL, https://oidc.eks.REGION.amazonaws.com/id/ID. */
  oidcIssuer: string;
  namespace: string;
  serviceAccount: string;
  logGroup: string;
}

// Kubernetes namespace names are DNS labels, and service account names are DNS subdomains.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// CloudWatch Logs allows 1 to 512 of these characters in a log group name.
const LOG_GROUP_NAME = /^[A-Za-z0-9_\-/.#]{1,512}$/;

export function validateNamespace(namespace: string): string {
  if (!DNS_LABEL.test(namespace)) {
    throw new Error(`invalid namespace "${namespace}": expected a DNS label (lowercase letters, digits and hyphens, at most 63 characters)`);
  }
  return namespace;
}

export function validateServiceAccountName(name: string): string {
  if (!DNS_SUBDOMAIN.test(name)) {
    throw new Error(
      `invalid service account name "${name}": expected a DNS subdomain (lowercase letters, digits, hyphens and dots, at most 253 characters)`,
    );
  }
  return name;
}

export function validateLogGroupName(name: string): string {
  if (!LOG_GROUP_NAME.test(name)) {
    throw new Error(
      `invalid log group name "${name}": expected 1 to 512 letters, digits or the characters _ - / . #`,
    );
  }
  return name;
}

export function defaultLogGroupName(namespace: string, serviceAccount: string): string {
  return `/flywheel/${namespace}/${serviceAccount}`;
}

/** Returns the issuer without its scheme, the form IAM uses in provider ARNs and condition keys. */
export function oidcProviderPath(issuer: string): string {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch (err) {
    throw new Error(`invalid OIDC issuer "${issuer}" in DescribeCluster output: expected an https URL`, { cause: err });
  }
  if (url.protocol !== 'https:') {
    throw new Error(`invalid OIDC issuer "${issuer}" in DescribeCluster output: expected an https URL`);
  }
  return `${url.host}${url.pathname}`.replace(/\/+$/, '');
}

export function oidcProviderArn(input: Pick<IrsaInput, 'partition' | 'accountId' | 'oidcIssuer'>): string {
  return `arn:${input.partition}:iam::${input.accountId}:oidc-provider/${oidcProviderPath(input.oidcIssuer)}`;
}

/**
 * Builds the trust policy of a role that pods running as one service account may assume
 * with their projected service account token.
 */
export function buildIrsaTrustPolicy(input: IrsaInput): PolicyDocument {
  const provider = oidcProviderPath(input.oidcIssuer);
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: oidcProviderArn(input) },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: {
            [`${provider}:sub`]: `system:serviceaccount:${input.namespace}:${input.serviceAccount}`,
            [`${provider}:aud`]: 'sts.amazonaws.com',
          },
        },
      },
    ],
  };
}

export function logGroupArn(input: Pick<IrsaInput, 'partition' | 'region' | 'accountId' | 'logGroup'>): string {
  return `arn:${input.partition}:logs:${input.region}:${input.accountId}:log-group:${input.logGroup}`;
}

/**
 * Builds the permissions policy for writing one log group: create it and set its
 * retention, then create streams and put events in them.
 */
export function buildLogsPolicy(input: IrsaInput): PolicyDocument {
  const group = logGroupArn(input);
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ManageLogGroup',
        Effect: 'Allow',
        Action: ['logs:CreateLogGroup', 'logs:PutRetentionPolicy', 'logs:DescribeLogStreams'],
        Resource: group,
      },
      {
        Sid: 'WriteLogStreams',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: `${group}:log-stream:*`,
      },
    ],
  };
}

/** Reads the partition out of an ARN, arn:PARTITION:service:... */
export function partitionOf(arn: string): string {
  const partition = arn.split(':')[1];
  if (!arn.startsWith('arn:') || !partition) {
    throw new Error(`invalid ARN "${arn}": expected arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`);
  }
  return partition;
}
