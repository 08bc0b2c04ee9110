// DescribeCluster and ListClusters, reduced to the fields Flywheel needs.
import { DescribeClusterCommand, ListClustersCommand, type Cluster, type EKSClient } from '@aws-sdk/client-eks';

import { describeAwsFailure } from './aws.ts';

/** The parts of an EKS cluster that kubeconfig, tokens and IRSA policies are built from. */
export interface EksClusterInfo {
  name: string;
  arn: string;
  region: string;
  status: string;
  /** Kubernetes minor version as EKS reports it, for example "1.31". */
  version: string;
  /** API server URL, https://... */
  endpoint: string;
  /** Base64 PEM bundle of the cluster's certificate authority. */
  certificateAuthorityData: string;
  /** OIDC issuer URL used for IRSA, when the cluster has one. */
  oidcIssuer?: string;
}

// EKS allows 1 to 100 characters: letters, digits, hyphens and underscores, starting with
// a letter or digit.
const CLUSTER_NAME_PATTERN = /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/;
// Maximum number of names a "not found" message lists. Regions with more clusters get
// the first ones in alphabetical order.
const MAX_LISTED_CLUSTERS = 10;

export function validateClusterName(name: string): string {
  if (!CLUSTER_NAME_PATTERN.test(name)) {
    throw new Error(
      `invalid EKS cluster name "${name}": expected 1 to 100 letters, digits, hyphens or underscores, starting with a letter or digit`,
    );
  }
  return name;
}

/**
 * Fetches a cluster with DescribeCluster. A missing cluster is reported with the names
 * that do exist in the region, so a wrong --region or a typo shows up in one message.
 */
export async function describeEksCluster(eks: EKSClient, name: string, region: string): Promise<EksClusterInfo> {
  let cluster: Cluster | undefined;
  try {
    cluster = (await eks.send(new DescribeClusterCommand({ name }))).cluster;
  } catch (err) {
    if (err instanceof Error && err.name === 'ResourceNotFoundException') {
      throw new Error(await describeMissingCluster(eks, name, region), { cause: err });
    }
    throw describeAwsFailure(
      err,
      `DescribeCluster for "${name}" in ${region}`,
      'check that your identity is allowed eks:DescribeCluster and that the region is right',
    );
  }
  if (cluster === undefined) {
    throw new Error(`DescribeCluster for "${name}" in ${region} returned no cluster; retry, and if it persists check the EKS endpoint`);
  }
  return toClusterInfo(cluster, name, region);
}

async function describeMissingCluster(eks: EKSClient, name: string, region: string): Promise<string> {
  const base = `EKS cluster "${name}" not found in ${region}`;
  let names: string[];
  try {
    names = await listEksClusters(eks, region);
  } catch {
    // The listing only improves the message, so without eks:ListClusters the shorter
    // message is used.
    return `${base}: check the name, or pass --region with the cluster's region`;
  }
  if (names.length === 0) {
    return `${base}, which has no clusters: pass --region with the cluster's region`;
  }
  const listedNames = [...names].sort().slice(0, MAX_LISTED_CLUSTERS).join(', ');
  const more = names.length > MAX_LISTED_CLUSTERS ? ` and ${names.length - MAX_LISTED_CLUSTERS} more` : '';
  return `${base}: clusters there are ${listedNames}${more}; check the name, or pass --region with the cluster's region`;
}

/** Lists the names of all clusters in the client's region, following pagination. */
export async function listEksClusters(eks: EKSClient, region: string): Promise<string[]> {
  const names: string[] = [];
  let nextToken: string | undefined;
  do {
    let page;
    try {
      page = await eks.send(new ListClustersCommand({ nextToken }));
    } catch (err) {
      throw describeAwsFailure(err, `ListClusters in ${region}`, 'check that your identity is allowed eks:ListClusters');
    }
    names.push(...(page.clusters ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return names;
}

function toClusterInfo(cluster: Cluster, requestedName: string, region: string): EksClusterInfo {
  const info: EksClusterInfo = {
    name: cluster.name ?? requestedName,
    arn: cluster.arn ?? '',
    region,
    status: cluster.status ?? 'UNKNOWN',
    version: cluster.version ?? '',
    endpoint: cluster.endpoint ?? '',
    certificateAuthorityData: cluster.certificateAuthority?.data ?? '',
  };
  const issuer = cluster.identity?.oidc?.issuer;
  if (issuer) {
    info.oidcIssuer = issuer;
  }
  return info;
}

// EKS keeps serving the Kubernetes API while a cluster is UPDATING (a version upgrade or
// a configuration change), so refusing it would block clients for the whole update.
const CONNECTABLE_STATUSES = new Set(['ACTIVE', 'UPDATING']);
const TRANSITIONAL_STATUSES = new Set(['CREATING', 'PENDING']);

/**
 * Returns why a cluster cannot be connected to, or undefined when it can: it must be
 * ACTIVE or UPDATING and report an endpoint, a certificate authority and an ARN.
 */
export function clusterConnectProblem(cluster: EksClusterInfo): string | undefined {
  if (!CONNECTABLE_STATUSES.has(cluster.status)) {
    const hint = TRANSITIONAL_STATUSES.has(cluster.status)
      ? 'wait until it is ACTIVE and run the command again'
      : 'it accepts no connections in this state; check it with `aws eks describe-cluster` or in the EKS console';
    return `EKS cluster "${cluster.name}" in ${cluster.region} is ${cluster.status}, not ACTIVE: ${hint}`;
  }

  const missing: string[] = [];
  if (!cluster.endpoint) missing.push('endpoint');
  if (!cluster.certificateAuthorityData) missing.push('certificateAuthority.data');
  if (!cluster.arn) missing.push('arn');
  if (missing.length > 0) {
    return `EKS cluster "${cluster.name}" in ${cluster.region} is ${cluster.status} but DescribeCluster returned no ${missing.join(', ')}; retry in a minute`;
  }
  return undefined;
}

/** Throws the message of clusterConnectProblem when there is one. */
export function assertClusterConnectable(cluster: EksClusterInfo): void {
  const problem = clusterConnectProblem(cluster);
  if (problem !== undefined) {
    throw new Error(problem);
  }
}
