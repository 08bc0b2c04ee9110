// Lets the operator run outside the cluster against an EKS cluster by name: the
// kubeconfig comes from DescribeCluster, and the bearer token is signed in-process and
// renewed before the API server stops accepting it.
import type * as https from 'node:https';

import { KubeConfig, type User } from '@kubernetes/client-node';

import {
  createCredentialsProvider,
  createEksClient,
  createStsClient,
  resolveRegion,
  systemClock,
  type Clock,
  type CredentialsProvider,
} from './aws.ts';
import { clusterCapabilities, type ClusterCapabilities } from './capabilities.ts';
import { assertClusterConnectable, describeEksCluster, validateClusterName, type EksClusterInfo } from './cluster.ts';
import { createEksToken, resolveStsEndpoint, TOKEN_VALIDITY_MS, type EksToken, type StsEndpoint } from './token.ts';

/** Tokens are re-signed when less than this much of their validity remains. */
export const DEFAULT_REFRESH_MARGIN_MS = 60_000;

// kubeconfig auth-provider name that routes requests to EksAuthenticator.
const AUTH_PROVIDER_NAME = 'flywheel-eks';

export interface EksTokenSourceOptions {
  cluster: string;
  region: string;
  credentials: CredentialsProvider;
  stsEndpoint: StsEndpoint;
  clock?: Clock;
  refreshMarginMs?: number;
}

/**
 * Caches one token per cluster and signs a new one when less than the refresh margin of
 * its 15-minute validity remains. Concurrent callers share one signing.
 */
export class EksTokenSource {
  readonly #options: EksTokenSourceOptions;
  readonly #clock: Clock;
  readonly #refreshMarginMs: number;
  #current: EksToken | undefined;
  #pending: Promise<EksToken> | undefined;

  constructor(options: EksTokenSourceOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#refreshMarginMs = options.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS;
  }

  async getToken(): Promise<EksToken> {
    if (this.#current !== undefined && !this.#needsRefresh(this.#current)) {
      return this.#current;
    }
    this.#pending ??= this.#sign().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  // Measured from the signing time against the server's 15-minute limit, not against
  // the earlier expirationTimestamp that exec plugins report.
  #needsRefresh(token: EksToken): boolean {
    const serverExpiry = token.signedAt.getTime() + TOKEN_VALIDITY_MS;
    return serverExpiry - this.#clock().getTime() < this.#refreshMarginMs;
  }

  async #sign(): Promise<EksToken> {
    const token = await createEksToken({
      cluster: this.#options.cluster,
      region: this.#options.region,
      credentials: this.#options.credentials,
      endpoint: this.#options.stsEndpoint,
      signingDate: this.#clock(),
    });
    this.#current = token;
    return token;
  }
}

/**
 * client-node authenticator that puts a current token into every request of a
 * KubeConfig, so API clients made once keep working as tokens are renewed.
 */
class EksAuthenticator {
  readonly #tokens: EksTokenSource;

  constructor(tokens: EksTokenSource) {
    this.#tokens = tokens;
  }

  isAuthProvider(user: User): boolean {
    return user.authProvider?.name === AUTH_PROVIDER_NAME;
  }

  async applyAuthentication(_user: User, opts: https.RequestOptions): Promise<void> {
    const { token } = await this.#tokens.getToken();
    opts.headers = { ...opts.headers, Authorization: `Bearer ${token}` };
  }
}

/** A KubeConfig for one EKS cluster with a self-renewing bearer token. */
export class EksKubeConfig {
  readonly cluster: EksClusterInfo;
  readonly capabilities: ClusterCapabilities;
  readonly #tokens: EksTokenSource;
  readonly #kubeConfig: KubeConfig;

  constructor(cluster: EksClusterInfo, tokens: EksTokenSource) {
    this.cluster = cluster;
    this.capabilities = clusterCapabilities(cluster.version);
    this.#tokens = tokens;
    this.#kubeConfig = buildKubeConfig(cluster, tokens);
  }

  /**
   * Returns the KubeConfig after making sure its token has more than the refresh margin
   * left. The same object is returned each time, and every request made through it signs
   * a new token when needed, so clients may keep it.
   */
  async getKubeConfig(): Promise<KubeConfig> {
    await this.#tokens.getToken();
    return this.#kubeConfig;
  }

  /** Returns the current token, signing a new one when it is close to expiry. */
  getToken(): Promise<EksToken> {
    return this.#tokens.getToken();
  }
}

function buildKubeConfig(cluster: EksClusterInfo, tokens: EksTokenSource): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.addAuthenticator(new EksAuthenticator(tokens));
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name: cluster.arn,
        server: cluster.endpoint,
        caData: cluster.certificateAuthorityData,
        skipTLSVerify: false,
      },
    ],
    users: [{ name: cluster.arn, authProvider: { name: AUTH_PROVIDER_NAME, config: { cluster: cluster.name } } }],
    contexts: [{ name: cluster.arn, cluster: cluster.arn, user: cluster.arn }],
    currentContext: cluster.arn,
  });
  return kubeConfig;
}

export interface LoadEksKubeConfigOptions {
  cluster: string;
  /** Defaults to AWS_REGION or the active profile's region. */
  region?: string;
  /** IAM role to assume for DescribeCluster and for signing tokens. */
  roleArn?: string;
  clock?: Clock;
  refreshMarginMs?: number;
}

/**
 * Describes the cluster, checks that it accepts connections, signs a first token and
 * returns a KubeConfig source for it. Fails with a message naming the fix when the
 * region, the credentials or the cluster are missing.
 */
export async function loadEksKubeConfig(options: LoadEksKubeConfigOptions): Promise<EksKubeConfig> {
  const cluster = validateClusterName(options.cluster);
  const region = await resolveRegion(options.region);
  const access = { region, roleArn: options.roleArn, clock: options.clock };
  const credentials = createCredentialsProvider(access);

  const info = await describeEksCluster(createEksClient(access, credentials), cluster, region);
  assertClusterConnectable(info);

  const tokens = new EksTokenSource({
    cluster,
    region,
    credentials,
    stsEndpoint: await resolveStsEndpoint(createStsClient(access, credentials)),
    clock: options.clock,
    refreshMarginMs: options.refreshMarginMs,
  });
  const source = new EksKubeConfig(info, tokens);
  await source.getKubeConfig();
  return source;
}
