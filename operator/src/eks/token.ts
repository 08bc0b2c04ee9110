// EKS bearer tokens. The API server of an EKS cluster accepts a presigned STS
// GetCallerIdentity URL as a bearer token. It replays the request to STS, then maps the
// returned caller ARN to a Kubernetes identity through the cluster's access entries or
// its aws-auth ConfigMap.
import { Sha256 } from '@aws-crypto/sha256-js';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

import { describeAwsFailure, type AwsCredentials, type CredentialsProvider } from './aws.ts';

export const TOKEN_PREFIX = 'k8s-aws-v1.';
/** Header that binds a token to one cluster. The API server rejects tokens for another name. */
export const CLUSTER_ID_HEADER = 'x-k8s-aws-id';
/** X-Amz-Expires of the presigned URL. The API server ignores it and applies its own limit. */
export const PRESIGNED_URL_EXPIRES_SECONDS = 60;
/** The API server accepts a token for 15 minutes after its X-Amz-Date. */
export const TOKEN_VALIDITY_MS = 15 * 60_000;
// The expiry reported to clients is one minute before the server stops accepting the
// token, so a token in flight when a client refreshes is still valid on arrival.
const REPORTED_LIFETIME_MS = TOKEN_VALIDITY_MS - 60_000;

export const EXEC_CREDENTIAL_API_VERSION = 'client.authentication.k8s.io/v1';

/** The STS endpoint the presigned URL points at. */
export interface StsEndpoint {
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
}

export interface EksToken {
  token: string;
  signedAt: Date;
  /** When clients should fetch a new token: one minute before the server-side limit. */
  expiresAt: Date;
}

export interface TokenSigningInput {
  cluster: string;
  region: string;
  credentials: AwsCredentials;
  endpoint: StsEndpoint;
  signingDate: Date;
}

/**
 * Resolves the endpoint the STS client would send GetCallerIdentity to. Asking the client
 * itself keeps the SDK's endpoint rules: AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, the
 * shared config file's endpoint_url, and the partition's regional host name. The request
 * is stopped in the build step, after the endpoint is set and before anything is sent.
 */
export async function resolveStsEndpoint(sts: STSClient): Promise<StsEndpoint> {
  const stop = new Error('STS endpoint resolved');
  let endpoint: StsEndpoint | undefined;

  const command = new GetCallerIdentityCommand({});
  command.middlewareStack.add(
    () => async (args) => {
      if (HttpRequest.isInstance(args.request)) {
        const { protocol, hostname, port, path } = args.request;
        endpoint = { protocol, hostname, port, path: path || '/' };
      }
      throw stop;
    },
    { step: 'build', name: 'flywheelResolveStsEndpoint' },
  );

  try {
    await sts.send(command);
  } catch (err) {
    if (err !== stop) {
      throw describeAwsFailure(err, 'resolving the STS endpoint', 'check AWS_ENDPOINT_URL_STS and AWS_ENDPOINT_URL');
    }
  }
  if (endpoint === undefined) {
    throw new Error('resolving the STS endpoint failed: the STS client built no HTTP request; check AWS_ENDPOINT_URL_STS');
  }
  return endpoint;
}

/** Signs a token. Pure apart from hashing, so a fixed input gives a fixed token. */
export async function signEksToken(input: TokenSigningInput): Promise<EksToken> {
  const { endpoint } = input;
  const host = endpoint.port !== undefined ? `${endpoint.hostname}:${endpoint.port}` : endpoint.hostname;
  const request = new HttpRequest({
    method: 'GET',
    protocol: endpoint.protocol,
    hostname: endpoint.hostname,
    port: endpoint.port,
    path: endpoint.path,
    query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
    headers: { host, [CLUSTER_ID_HEADER]: input.cluster },
  });

  const signer = new SignatureV4({
    service: 'sts',
    region: input.region,
    credentials: input.credentials,
    sha256: Sha256,
  });
  // presign moves only x-amz-* headers into the query, so x-k8s-aws-id stays a signed
  // header, and the session token, when present, becomes X-Amz-Security-Token.
  const signed = await signer.presign(request, {
    expiresIn: PRESIGNED_URL_EXPIRES_SECONDS,
    signingDate: input.signingDate,
  });

  const url = `${endpoint.protocol}//${host}${endpoint.path}?${formatQuery(signed.query ?? {})}`;
  return {
    token: TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url'),
    signedAt: input.signingDate,
    expiresAt: new Date(input.signingDate.getTime() + REPORTED_LIFETIME_MS),
  };
}

/** Creates a token with fresh credentials, signed at the given time. */
export async function createEksToken(options: {
  cluster: string;
  region: string;
  credentials: CredentialsProvider;
  endpoint: StsEndpoint;
  signingDate: Date;
}): Promise<EksToken> {
  const credentials = await options.credentials();
  return signEksToken({ ...options, credentials });
}

/** Decodes a token back to its presigned URL, for tests and diagnostics. */
export function decodeEksToken(token: string): URL {
  if (!token.startsWith(TOKEN_PREFIX)) {
    throw new Error(`invalid EKS token: expected the prefix "${TOKEN_PREFIX}"`);
  }
  return new URL(Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8'));
}

/** Formats the ExecCredential that kubectl and client libraries read from an exec plugin. */
export function formatExecCredential(token: EksToken): string {
  const credential = {
    kind: 'ExecCredential',
    apiVersion: EXEC_CREDENTIAL_API_VERSION,
    spec: {},
    status: {
      // RFC 3339 without fractional seconds, the form Kubernetes writes itself.
      expirationTimestamp: token.expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      token: token.token,
    },
  };
  return JSON.stringify(credential);
}

// Query values percent-encoded as SigV4 canonicalizes them (RFC 3986 unreserved
// characters kept), so the URL carries exactly the bytes that were signed.
function formatQuery(query: Record<string, string | Array<string> | null>): string {
  return Object.keys(query)
    .sort()
    .flatMap((key) => {
      const value = query[key];
      const values = Array.isArray(value) ? value : [value ?? ''];
      return values.map((item) => `${encodeRfc3986(key)}=${encodeRfc3986(item)}`);
    })
    .join('&');
}

function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
