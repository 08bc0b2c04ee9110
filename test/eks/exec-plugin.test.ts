// Tests `flywheel eks kubeconfig` with the operator's kubeconfig loader. The written
// kubeconfig runs `flywheel eks token` as an exec plugin, which a shim on PATH provides.
// Nothing is sent to the cluster endpoint that moto returns, because it is no real server.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { runEksCommand } from '../../operator/src/cli/eks.ts';
import { CLUSTER_ID_HEADER, decodeEksToken } from '../../operator/src/eks/token.ts';
import { loadClusterConnection, type ClusterConnection } from '../../operator/src/kube/kubeconfig.ts';
import { captureIo, createTestCluster, TEST_REGION, useMoto } from './moto.ts';

const env = useMoto();
const repoRoot = path.resolve(import.meta.dirname, '../..');
const cliMain = path.join(repoRoot, 'operator/src/cli/main.ts');

let testCounter = 0;
let testDir: string;
let runLog: string;
let savedEnv: NodeJS.ProcessEnv;

/** Quotes a value for a POSIX shell script. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

// Runs after useMoto's beforeEach, so the shim inherits the moto endpoint, the static
// test credentials and the region that useMoto puts in process.env.
beforeEach(async () => {
  savedEnv = { ...process.env };
  testCounter += 1;
  testDir = path.join(env.scratchDir, `exec-${testCounter}`);
  const binDir = path.join(testDir, 'bin');
  runLog = path.join(testDir, 'plugin-runs');
  await mkdir(binDir, { recursive: true });

  // A `flywheel` on PATH that runs this checkout's CLI and records each run.
  await writeFile(
    path.join(binDir, 'flywheel'),
    `#!/bin/sh\necho run >> ${shellQuote(runLog)}\nexec ${shellQuote(process.execPath)} ${shellQuote(cliMain)} "$@"\n`,
    { mode: 0o755 },
  );
  process.env.PATH = `${binDir}${path.delimiter}${process.env.PATH ?? ''}`;
});

afterEach(() => {
  for (const key of Object.keys(process.env)) {
    if (!(key in savedEnv)) delete process.env[key];
  }
  Object.assign(process.env, savedEnv);
});

async function pluginRuns(): Promise<number> {
  try {
    return (await readFile(runLog, 'utf8')).split('\n').filter(Boolean).length;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

/** Writes a kubeconfig for `cluster` with `flywheel eks kubeconfig` and loads it. */
async function connect(cluster: string): Promise<ClusterConnection> {
  const file = path.join(testDir, 'kubeconfig');
  const output = captureIo();

  const code = await runEksCommand(['kubeconfig', '--cluster', cluster, '--kubeconfig', file], output.io);

  expect(output.stderr.join('')).toBe('');
  expect(code).toBe(0);
  return loadClusterConnection(file);
}

async function bearerToken(connection: ClusterConnection): Promise<string> {
  const { authorization } = await connection.credentials();
  expect(authorization).toMatch(/^Bearer k8s-aws-v1\./);
  return (authorization ?? '').replace(/^Bearer /, '');
}

describe('exec plugin from flywheel eks kubeconfig', () => {
  it('loads the server and CA', async () => {
    await createTestCluster('shop');
    const described = await new EKSClient({}).send(new DescribeClusterCommand({ name: 'shop' }));
    const cluster = described.cluster;

    const connection = await connect('shop');

    expect(connection.server).toBe(cluster?.endpoint?.replace(/\/+$/, ''));
    expect(connection.tls.ca).toBe(Buffer.from(cluster?.certificateAuthority?.data ?? '', 'base64').toString('utf8'));
    expect(connection.tls.ca).toBeTruthy();
    expect(connection.tls.rejectUnauthorized).toBe(true);
  });

  it('returns a token for the cluster', async () => {
    await createTestCluster('shop');
    const connection = await connect('shop');

    const url = decodeEksToken(await bearerToken(connection));

    expect(url.origin).toBe(env.moto.endpoint);
    expect(url.searchParams.get('Action')).toBe('GetCallerIdentity');
    expect(url.searchParams.get('X-Amz-Credential')).toContain(`/${TEST_REGION}/sts/aws4_request`);
    expect(url.searchParams.get('X-Amz-SignedHeaders')?.split(';')).toContain(CLUSTER_ID_HEADER);
    // The URL points at moto on 127.0.0.1 (checked above), which checks the signature
    // over the cluster header as STS does.
    const accepted = await fetch(url, { headers: { [CLUSTER_ID_HEADER]: 'shop' } });
    expect(accepted.status).toBe(200);
    const otherCluster = await fetch(url, { headers: { [CLUSTER_ID_HEADER]: 'search' } });
    expect(otherCluster.status).toBe(403);
  });

  it('caches the token between calls', async () => {
    await createTestCluster('shop');
    const connection = await connect('shop');

    const first = await connection.credentials();
    const second = await connection.credentials();

    expect(await pluginRuns()).toBe(1);
    expect(second).toEqual(first);
  });

  it('runs the plugin again after invalidate', async () => {
    await createTestCluster('shop');
    const connection = await connect('shop');
    await bearerToken(connection);

    connection.invalidate();
    await bearerToken(connection);

    expect(await pluginRuns()).toBe(2);
  });

  // `flywheel eks token` signs without calling EKS, so a cluster name that moto does not
  // know still gets a token. Missing AWS credentials make the plugin fail.
  it('reports the plugin error text', async () => {
    await createTestCluster('shop');
    const connection = await connect('shop');
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;

    const error = await connection.credentials().then(
      () => undefined,
      (err: unknown) => err,
    );

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('exec plugin flywheel failed');
    expect((error as Error).message).toContain('no AWS credentials found');
    expect(await pluginRuns()).toBe(1);
  });
});
