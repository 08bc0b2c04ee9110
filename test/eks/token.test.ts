import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

import { describe, expect, it } from 'vitest';

import { runEksCommand } from '../../operator/src/cli/eks.ts';
import { decodeEksToken } from '../../operator/src/eks/token.ts';
import { captureIo, MOTO_ACCOUNT_ID, TEST_REGION, TEST_ROLE_ARN, useMoto } from './moto.ts';

const env = useMoto();

interface ExecCredential {
  kind: string;
  apiVersion: string;
  status: { token: string; expirationTimestamp: string };
}

async function token(...argv: string[]) {
  const output = captureIo();
  const code = await runEksCommand(['token', ...argv], output.io);
  return { code, stdout: output.stdout.join(''), stderr: output.stderr.join('') };
}

async function tokenCredential(...argv: string[]): Promise<ExecCredential> {
  const result = await token(...argv);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as ExecCredential;
}

// What the EKS API server does with a token: GET the URL with the cluster header.
async function callStsWith(tokenValue: string, cluster: string) {
  const response = await fetch(decodeEksToken(tokenValue), { headers: { 'x-k8s-aws-id': cluster } });
  return { status: response.status, body: await response.text() };
}

describe('flywheel eks token', () => {
  it('prints a v1 ExecCredential', async () => {
    const before = Date.now();
    const credential = await tokenCredential('--cluster', 'shop');
    const after = Date.now();

    expect(credential.kind).toBe('ExecCredential');
    expect(credential.apiVersion).toBe('client.authentication.k8s.io/v1');
    expect(credential.status.token).toMatch(/^k8s-aws-v1\.[A-Za-z0-9_-]+$/);
    // Signing time plus 14 minutes, cut to whole seconds.
    const expiresAt = Date.parse(credential.status.expirationTimestamp);
    expect(expiresAt).toBeGreaterThan(before + 14 * 60_000 - 1_000);
    expect(expiresAt).toBeLessThanOrEqual(after + 14 * 60_000);
  });

  it('points the URL at the STS endpoint override', async () => {
    process.env.AWS_ENDPOINT_URL_STS = env.moto.endpoint;
    process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:9';

    const credential = await tokenCredential('--cluster', 'shop');

    expect(decodeEksToken(credential.status.token).origin).toBe(env.moto.endpoint);
  });

  it('is accepted by STS with static credentials', async () => {
    const credential = await tokenCredential('--cluster', 'shop', '--region', TEST_REGION);
    const url = decodeEksToken(credential.status.token);

    expect(url.searchParams.has('X-Amz-Security-Token')).toBe(false);
    const response = await callStsWith(credential.status.token, 'shop');
    expect(response.status).toBe(200);
    expect(response.body).toContain('<GetCallerIdentityResult>');
    expect(response.body).toContain(`<Account>${MOTO_ACCOUNT_ID}</Account>`);
  });

  it('includes the session token of session credentials', async () => {
    process.env.AWS_SESSION_TOKEN = 'FQoGZXIvYXdzEXAMPLE+session/token=';

    const credential = await tokenCredential('--cluster', 'shop');
    const url = decodeEksToken(credential.status.token);

    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('FQoGZXIvYXdzEXAMPLE+session/token=');
    expect((await callStsWith(credential.status.token, 'shop')).status).toBe(200);
  });

  it('signs with the assumed role for --role-arn', async () => {
    const credential = await tokenCredential('--cluster', 'shop', '--role-arn', TEST_ROLE_ARN);
    const url = decodeEksToken(credential.status.token);

    expect(url.searchParams.get('X-Amz-Security-Token')).not.toBeNull();
    const response = await callStsWith(credential.status.token, 'shop');
    expect(response.status).toBe(200);
    expect(response.body).toContain(`<Arn>arn:aws:sts::${MOTO_ACCOUNT_ID}:assumed-role/flywheel-test/flywheel</Arn>`);
  });

  it('is rejected for another cluster', async () => {
    const credential = await tokenCredential('--cluster', 'shop');

    const response = await callStsWith(credential.status.token, 'search');

    expect(response.status).toBe(403);
    expect(response.body).toContain('SignatureDoesNotMatch');
  });

  it('is rejected after tampering', async () => {
    const credential = await tokenCredential('--cluster', 'shop');
    const url = decodeEksToken(credential.status.token);
    url.searchParams.set('Version', '2011-06-16');

    const response = await fetch(url, { headers: { 'x-k8s-aws-id': 'shop' } });

    expect(response.status).toBe(403);
  });

  it('prints only the credential from a separate process', async () => {
    const runner = path.join(import.meta.dirname, 'run-eks-cli.ts');
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [runner, 'token', '--cluster', 'shop'], {
      env: process.env,
    });

    expect(stderr).toBe('');
    const credential = JSON.parse(stdout) as ExecCredential;
    expect((await callStsWith(credential.status.token, 'shop')).status).toBe(200);
  });
});

describe('flywheel eks token errors', () => {
  it('names the fix for a missing region', async () => {
    delete process.env.AWS_REGION;

    const result = await token('--cluster', 'shop');

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('AWS region is missing: pass --region');
    expect(result.stderr).toContain('set AWS_REGION');
  });

  it('names the fix for missing credentials', async () => {
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;

    const result = await token('--cluster', 'shop');

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no AWS credentials found');
    expect(result.stderr).toContain('set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
    expect(result.stderr).toContain('set AWS_PROFILE');
  });

  it('names the fix for missing credentials with --role-arn', async () => {
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;

    const result = await token('--cluster', 'shop', '--role-arn', TEST_ROLE_ARN);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no AWS credentials found');
  });

  it('names the profile that does not exist', async () => {
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    process.env.AWS_PROFILE = 'missing-profile';

    const result = await token('--cluster', 'shop');

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no AWS credentials found for profile "missing-profile" from AWS_PROFILE');
    expect(result.stderr).toContain('or unset AWS_PROFILE');
  });
});
