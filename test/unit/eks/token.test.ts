import { describe, expect, it } from 'vitest';

import {
  decodeEksToken,
  formatExecCredential,
  signEksToken,
  TOKEN_PREFIX,
  type TokenSigningInput,
} from '../../../operator/src/eks/token.ts';

// Expected signatures were computed independently with botocore 1.44.8's SigV4QueryAuth
// (service sts, region us-west-2, expires 60) for the same request, credentials and time.
const BOTOCORE_SIGNATURE_STATIC = '6807fffdad3d8e5407243c91f91caeb5cab5c5491413a9926ebc1a9456a2eb80';
const BOTOCORE_SIGNATURE_SESSION = '95ad958c8a7f15813aa6454de054b84a3717021eb0006cfa536db456a76d683b';

const SIGNING_DATE = new Date('2024-01-02T03:04:05Z');
const SESSION_TOKEN = 'FQoGZXIvYXdzEXAMPLESESSIONTOKEN';

function input(overrides: Partial<TokenSigningInput> = {}): TokenSigningInput {
  return {
    cluster: 'demo',
    region: 'us-west-2',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
    endpoint: { protocol: 'https:', hostname: 'sts.us-west-2.amazonaws.com', path: '/' },
    signingDate: SIGNING_DATE,
    ...overrides,
  };
}

describe('signEksToken', () => {
  it('starts with the k8s-aws-v1 prefix', async () => {
    const { token } = await signEksToken(input());
    expect(token.startsWith(TOKEN_PREFIX)).toBe(true);
  });

  it('encodes base64url without padding', async () => {
    const { token } = await signEksToken(input());
    const body = token.slice(TOKEN_PREFIX.length);
    expect(body).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(body).not.toContain('=');
  });

  it('decodes to a presigned GetCallerIdentity URL', async () => {
    const url = decodeEksToken((await signEksToken(input())).token);

    expect(url.protocol).toBe('https:');
    expect(url.host).toBe('sts.us-west-2.amazonaws.com');
    expect(url.pathname).toBe('/');
    expect(url.searchParams.get('Action')).toBe('GetCallerIdentity');
    expect(url.searchParams.get('Version')).toBe('2011-06-15');
    expect(url.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(url.searchParams.get('X-Amz-Credential')).toBe('AKIDEXAMPLE/20240102/us-west-2/sts/aws4_request');
    expect(url.searchParams.get('X-Amz-Date')).toBe('20240102T030405Z');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(url.searchParams.has('X-Amz-Security-Token')).toBe(false);
  });

  it('matches the botocore signature for static credentials', async () => {
    const url = decodeEksToken((await signEksToken(input())).token);
    expect(url.searchParams.get('X-Amz-Signature')).toBe(BOTOCORE_SIGNATURE_STATIC);
  });

  it('signs the session token when present', async () => {
    const credentials = { ...input().credentials, sessionToken: SESSION_TOKEN };
    const url = decodeEksToken((await signEksToken(input({ credentials }))).token);

    expect(url.searchParams.get('X-Amz-Security-Token')).toBe(SESSION_TOKEN);
    expect(url.searchParams.get('X-Amz-Signature')).toBe(BOTOCORE_SIGNATURE_SESSION);
  });

  it('is deterministic for fixed input', async () => {
    const first = await signEksToken(input());
    const second = await signEksToken(input());
    expect(second.token).toBe(first.token);
  });

  it('binds the signature to the cluster name', async () => {
    const demo = decodeEksToken((await signEksToken(input())).token);
    const other = decodeEksToken((await signEksToken(input({ cluster: 'other' }))).token);
    expect(other.searchParams.get('X-Amz-Signature')).not.toBe(demo.searchParams.get('X-Amz-Signature'));
  });

  it('keeps a non-default port in the URL host', async () => {
    const endpoint = { protocol: 'http:', hostname: '127.0.0.1', port: 4566, path: '/' };
    const url = decodeEksToken((await signEksToken(input({ endpoint }))).token);
    expect(url.host).toBe('127.0.0.1:4566');
    expect(url.protocol).toBe('http:');
  });

  it('reports expiry 14 minutes after signing', async () => {
    const token = await signEksToken(input());
    expect(token.signedAt.toISOString()).toBe('2024-01-02T03:04:05.000Z');
    expect(token.expiresAt.toISOString()).toBe('2024-01-02T03:18:05.000Z');
  });
});

describe('formatExecCredential', () => {
  it('writes a v1 ExecCredential', async () => {
    const token = await signEksToken(input());
    const credential = JSON.parse(formatExecCredential(token));

    expect(credential.kind).toBe('ExecCredential');
    expect(credential.apiVersion).toBe('client.authentication.k8s.io/v1');
    expect(credential.spec).toEqual({});
    expect(credential.status.token).toBe(token.token);
    expect(credential.status.expirationTimestamp).toBe('2024-01-02T03:18:05Z');
  });
});

describe('decodeEksToken', () => {
  it('rejects a token without the prefix', () => {
    expect(() => decodeEksToken('Bearer abc')).toThrow(/expected the prefix "k8s-aws-v1\."/);
  });
});
