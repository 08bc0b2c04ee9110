// Starts one moto server per test file, on 127.0.0.1 and a port the system picks, and
// points the AWS SDK of the test process at it. moto comes from hack/ensure-moto.sh,
// which installs it on first use.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { CreateClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { afterAll, beforeAll, beforeEach } from 'vitest';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const shimScript = path.join(import.meta.dirname, 'moto_server_presigned_sts.py');
const STARTUP_TIMEOUT_MS = 60_000;

/** Static test credentials. moto accepts any, and the STS shim verifies signatures with these. */
export const TEST_ACCESS_KEY_ID = 'AKIAFLYWHEELTEST0001';
export const TEST_SECRET_ACCESS_KEY = 'flywheelTestSecretKey/0000000000000000000';
/** Account moto uses when the credentials are not its own. */
export const MOTO_ACCOUNT_ID = '123456789012';
export const TEST_REGION = 'eu-west-1';
export const TEST_ROLE_ARN = `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/flywheel-test`;

export interface MotoServer {
  endpoint: string;
  /** Clears all of moto's state: clusters, assumed roles, everything. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

// Variables through which the SDK could find credentials, a profile, a region or an
// endpoint outside this test. They are cleared so that only what a test sets applies.
const AWS_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_ROLE_ARN',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_EKS',
  'AWS_ENDPOINT_URL_STS',
  'KUBECONFIG',
];

export async function ensureMoto(): Promise<string> {
  const { stdout } = await promisify(execFile)('bash', [path.join(repoRoot, 'hack/ensure-moto.sh')], {
    cwd: repoRoot,
    maxBuffer: 10 * 1024 * 1024,
  });
  const bin = stdout.trim().split('\n').pop();
  if (!bin) {
    throw new Error('hack/ensure-moto.sh printed no directory; run it by hand to see why');
  }
  return bin;
}

/**
 * The line in which moto's server (werkzeug 3.1 under moto 5.2.5) names the address it
 * bound, with the port the system picked for port 0.
 */
const LISTENING_LINE = /Running on (http:\/\/127\.0\.0\.1:\d+)/;

/** Waits until the server of `child` responds, and returns its endpoint. */
async function waitUntilReady(child: ChildProcess, endpoint: () => string | undefined, log: () => string): Promise<string> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`moto server exited with code ${child.exitCode} during startup:\n${log()}`);
    }
    const url = endpoint();
    if (url !== undefined) {
      try {
        const response = await fetch(`${url}/moto-api/data.json`);
        if (response.ok) return url;
      } catch {
        // Not listening yet.
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`moto server was not ready after ${STARTUP_TIMEOUT_MS} ms:\n${log()}`);
}

export async function startMoto(): Promise<MotoServer> {
  const bin = await ensureMoto();

  let output = '';
  let bound: string | undefined;
  // Port 0 lets the system pick a free port at bind time. A port picked beforehand could be
  // taken by another process, or another moto of a parallel test file, before moto binds it.
  const child = spawn(path.join(bin, 'python'), [shimScript, '-H', '127.0.0.1', '-p', '0'], {
    env: {
      ...process.env,
      FLYWHEEL_MOTO_STATIC_CREDENTIALS: JSON.stringify({ [TEST_ACCESS_KEY_ID]: TEST_SECRET_ACCESS_KEY }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
    bound ??= LISTENING_LINE.exec(output)?.[1];
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  let endpoint: string;
  try {
    endpoint = await waitUntilReady(child, () => bound, () => output);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }

  return {
    endpoint,
    async reset() {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!response.ok) throw new Error(`resetting moto failed with HTTP ${response.status}`);
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Environment of one test: moto endpoint, static credentials, region, no shared files. */
export interface AwsTestEnvironment {
  moto: MotoServer;
  /** Directory for kubeconfig files and the like, removed after the file's tests. */
  scratchDir: string;
}

/**
 * Registers hooks that start moto before the file's tests, reset it and the AWS
 * environment before each test, and stop it afterwards. Tests may change process.env,
 * because each test starts again from the base environment.
 */
export function useMoto(): AwsTestEnvironment {
  const state = {} as AwsTestEnvironment;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    state.moto = await startMoto();
    state.scratchDir = await mkdtemp(path.join(tmpdir(), 'flywheel-eks-'));
  });

  beforeEach(async () => {
    await state.moto.reset();
    setBaseEnvironment(state);
  });

  afterAll(async () => {
    for (const key of Object.keys(process.env)) {
      if (!(key in savedEnv)) delete process.env[key];
    }
    Object.assign(process.env, savedEnv);
    await state.moto?.stop();
    if (state.scratchDir) await rm(state.scratchDir, { recursive: true, force: true });
  });

  return state;
}

function setBaseEnvironment(state: AwsTestEnvironment): void {
  for (const name of AWS_VARIABLES) delete process.env[name];
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: state.moto.endpoint,
    AWS_ACCESS_KEY_ID: TEST_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: TEST_SECRET_ACCESS_KEY,
    AWS_REGION: TEST_REGION,
    // Keeps the default chain from asking the EC2 metadata address for credentials.
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: path.join(state.scratchDir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(state.scratchDir, 'no-aws-credentials'),
  });
}

/** Creates a cluster in moto, which makes it ACTIVE at once. */
export async function createTestCluster(name: string, version = '1.31', region = TEST_REGION): Promise<void> {
  const eks = new EKSClient({ region });
  await eks.send(
    new CreateClusterCommand({
      name,
      version,
      roleArn: `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/eks-cluster`,
      resourcesVpcConfig: { subnetIds: ['subnet-00000001', 'subnet-00000002'] },
    }),
  );
}

/** Captures what a command writes, for runEksCommand. */
export function captureIo(): { stdout: string[]; stderr: string[]; io: { stdout: (s: string) => void; stderr: (s: string) => void } } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    io: { stdout: (s) => stdout.push(s), stderr: (s) => stderr.push(s) },
  };
}
