/**
 * The exec credential plugin against real plugin scripts in a temporary folder. Each
 * script appends a line to a runs file, so tests count how often the plugin ran.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { ExecCredentialPlugin, type ExecClusterInfo, type ExecConfig } from '../../../operator/src/kube/exec-credential.ts';
import { loadClusterConnection } from '../../../operator/src/kube/kubeconfig.ts';

const V1 = 'client.authentication.k8s.io/v1';
const V1BETA1 = 'client.authentication.k8s.io/v1beta1';
const WHERE = 'context "test" of kubeconfig /etc/flywheel/config';
const CLUSTER: ExecClusterInfo = { server: 'https://127.0.0.1:6443', ca: undefined, insecure: false };
const CA_PEM = '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n';
const CERT_PEM = '-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n';
const KEY_PEM = '-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n';

let folder: string;

beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'flywheel-exec-'));
});

afterEach(() => {
  vi.useRealTimers();
  rmSync(folder, { recursive: true, force: true });
});

const runsFile = (): string => join(folder, 'runs');

function runCount(): number {
  return existsSync(runsFile()) ? readFileSync(runsFile(), 'utf8').split('\n').filter(Boolean).length : 0;
}

/** Writes an executable `#!/bin/sh` script that records its run, then runs `body`. */
function writePlugin(name: string, body: string): string {
  const path = join(folder, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `#!/bin/sh\necho run >> "${runsFile()}"\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** Shell lines that print `text` exactly as given. */
function printing(text: string): string {
  return `cat <<'END_OF_OUTPUT'\n${text}\nEND_OF_OUTPUT`;
}

function execCredential(status: unknown, apiVersion = V1): string {
  return JSON.stringify({ apiVersion, kind: 'ExecCredential', status });
}

function tokenPlugin(token = 'plugin-token', extra: Record<string, unknown> = {}): string {
  return writePlugin('plugin', printing(execCredential({ token, ...extra })));
}

function newPlugin(config: ExecConfig, cluster: ExecClusterInfo = CLUSTER): ExecCredentialPlugin {
  return new ExecCredentialPlugin({ apiVersion: V1, ...config }, cluster, folder, WHERE);
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => new Error('expected a rejection, but the promise resolved'),
    (error: Error) => error,
  );
}

describe('ExecCredentialPlugin output', () => {
  it('returns token as Bearer', async () => {
    const plugin = newPlugin({ command: tokenPlugin('abc') });
    expect(await plugin.credentials()).toEqual({ authorization: 'Bearer abc' });
  });

  it('returns client certificate and key', async () => {
    const command = writePlugin('plugin', printing(execCredential({ clientCertificateData: CERT_PEM, clientKeyData: KEY_PEM })));
    expect(await newPlugin({ command }).credentials()).toEqual({ cert: CERT_PEM, key: KEY_PEM });
  });

  it('accepts v1beta1 credential', async () => {
    const command = writePlugin('plugin', printing(execCredential({ token: 'beta' }, V1BETA1)));
    expect(await newPlugin({ command, apiVersion: V1BETA1 }).credentials()).toEqual({ authorization: 'Bearer beta' });
  });

  it('passes args to plugin', async () => {
    const argsFile = join(folder, 'args');
    const command = writePlugin('plugin', `printf '%s\\n' "$@" > "${argsFile}"\n${printing(execCredential({ token: 'abc' }))}`);
    await newPlugin({ command, args: ['eks', 'token', '--cluster', 'demo'] }).credentials();
    expect(readFileSync(argsFile, 'utf8')).toBe('eks\ntoken\n--cluster\ndemo\n');
  });

  it('applies exec env list', async () => {
    const envFile = join(folder, 'env');
    const script = `printf '%s|%s' "$FLYWHEEL_TEST_REGION" "$FLYWHEEL_TEST_EMPTY" > "${envFile}"\n${printing(execCredential({ token: 'abc' }))}`;
    const command = writePlugin('plugin', script);
    const env = [{ name: 'FLYWHEEL_TEST_REGION', value: 'eu-west-1' }, { name: 'FLYWHEEL_TEST_EMPTY' }];
    await newPlugin({ command, env }).credentials();
    expect(readFileSync(envFile, 'utf8')).toBe('eu-west-1|');
  });
});

describe('KUBERNETES_EXEC_INFO', () => {
  function execInfoPlugin(): { command: string; execInfo: () => unknown } {
    const infoFile = join(folder, 'exec-info');
    const command = writePlugin('plugin', `printf '%s' "$KUBERNETES_EXEC_INFO" > "${infoFile}"\n${printing(execCredential({ token: 'abc' }))}`);
    return { command, execInfo: () => JSON.parse(readFileSync(infoFile, 'utf8')) };
  }

  it('omits cluster by default', async () => {
    const { command, execInfo } = execInfoPlugin();
    await newPlugin({ command }).credentials();
    expect(execInfo()).toEqual({ apiVersion: V1, kind: 'ExecCredential', spec: { interactive: false } });
  });

  it('includes cluster with provideClusterInfo', async () => {
    const { command, execInfo } = execInfoPlugin();
    await newPlugin({ command, provideClusterInfo: true }, { server: 'https://127.0.0.1:6443', ca: CA_PEM, insecure: false }).credentials();
    expect(execInfo()).toEqual({
      apiVersion: V1,
      kind: 'ExecCredential',
      spec: {
        interactive: false,
        cluster: {
          server: 'https://127.0.0.1:6443',
          'certificate-authority-data': Buffer.from(CA_PEM).toString('base64'),
          'insecure-skip-tls-verify': false,
        },
      },
    });
  });

  it('uses configured apiVersion', async () => {
    const infoFile = join(folder, 'exec-info');
    const command = writePlugin('plugin', `printf '%s' "$KUBERNETES_EXEC_INFO" > "${infoFile}"\n${printing(execCredential({ token: 'abc' }, V1BETA1))}`);
    await newPlugin({ command, apiVersion: V1BETA1 }).credentials();
    expect(JSON.parse(readFileSync(infoFile, 'utf8'))).toMatchObject({ apiVersion: V1BETA1 });
  });
});

describe('ExecCredentialPlugin caching', () => {
  const EXPIRES = new Date('2030-01-01T01:00:00Z');

  function expiringPlugin(): ExecCredentialPlugin {
    return newPlugin({ command: tokenPlugin('abc', { expirationTimestamp: EXPIRES.toISOString() }) });
  }

  it('caches credential without expiry', async () => {
    const plugin = newPlugin({ command: tokenPlugin() });
    await plugin.credentials();
    await plugin.credentials();
    expect(runCount()).toBe(1);
  });

  it('reuses credential before expiry margin', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(EXPIRES.getTime() - 60_000);
    const plugin = expiringPlugin();
    await plugin.credentials();

    vi.setSystemTime(EXPIRES.getTime() - 10_001);
    await plugin.credentials();
    expect(runCount()).toBe(1);
  });

  it('renews credential inside expiry margin', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(EXPIRES.getTime() - 60_000);
    const plugin = expiringPlugin();
    await plugin.credentials();

    vi.setSystemTime(EXPIRES.getTime() - 10_000);
    await plugin.credentials();
    expect(runCount()).toBe(2);
  });

  it('invalidate forces new run', async () => {
    const plugin = newPlugin({ command: tokenPlugin() });
    await plugin.credentials();
    plugin.invalidate();
    await plugin.credentials();
    expect(runCount()).toBe(2);
  });

  it('shares one run between concurrent calls', async () => {
    const plugin = newPlugin({ command: tokenPlugin('shared') });
    const [first, second] = await Promise.all([plugin.credentials(), plugin.credentials()]);
    expect(runCount()).toBe(1);
    expect(first).toEqual({ authorization: 'Bearer shared' });
    expect(second).toEqual({ authorization: 'Bearer shared' });
  });

  it('runs again after failed run', async () => {
    // Fails on its first run only: the runs file then has one line.
    const script = `if [ "$(wc -l < "${runsFile()}")" -eq 1 ]; then exit 1; fi\n${printing(execCredential({ token: 'second-try' }))}`;
    const plugin = newPlugin({ command: writePlugin('plugin', script) });
    await rejection(plugin.credentials());
    expect(await plugin.credentials()).toEqual({ authorization: 'Bearer second-try' });
    expect(runCount()).toBe(2);
  });
});

describe('exec user in kubeconfig', () => {
  function writeKubeconfig(exec: Record<string, unknown>, cluster: Record<string, unknown> = { server: 'https://127.0.0.1:6443' }): string {
    const path = join(folder, 'kube', 'config');
    mkdirSync(dirname(path), { recursive: true });
    const document = {
      'current-context': 'test',
      clusters: [{ name: 'test', cluster }],
      users: [{ name: 'test', user: { exec: { apiVersion: V1, ...exec } } }],
      contexts: [{ name: 'test', context: { cluster: 'test', user: 'test' } }],
    };
    writeFileSync(path, stringify(document));
    return path;
  }

  it('resolves ./ command against kubeconfig folder', async () => {
    writePlugin('kube/bin/token', printing(execCredential({ token: 'relative' })));
    const connection = loadClusterConnection(writeKubeconfig({ command: './bin/token' }), {});
    expect(await connection.credentials()).toEqual({ authorization: 'Bearer relative' });
  });

  it('looks up bare command on PATH only', async () => {
    writePlugin('kube/flywheel-test-token', printing(execCredential({ token: 'bare' })));
    const connection = loadClusterConnection(writeKubeconfig({ command: 'flywheel-test-token' }), {});
    const error = await rejection(connection.credentials());
    expect(error.message).toContain('exec plugin flywheel-test-token not found on PATH');
  });

  it('passes kubeconfig cluster to plugin', async () => {
    const infoFile = join(folder, 'exec-info');
    writePlugin('kube/bin/token', `printf '%s' "$KUBERNETES_EXEC_INFO" > "${infoFile}"\n${printing(execCredential({ token: 'abc' }))}`);
    const cluster = { server: 'https://127.0.0.1:6443/', 'certificate-authority-data': Buffer.from(CA_PEM).toString('base64'), 'insecure-skip-tls-verify': true };
    await loadClusterConnection(writeKubeconfig({ command: './bin/token', provideClusterInfo: true }, cluster), {}).credentials();
    const execInfo = JSON.parse(readFileSync(infoFile, 'utf8')) as { spec: { cluster: unknown } };
    expect(execInfo.spec.cluster).toEqual({
      server: 'https://127.0.0.1:6443',
      'certificate-authority-data': Buffer.from(CA_PEM).toString('base64'),
      'insecure-skip-tls-verify': true,
    });
  });

  it('invalidate reaches plugin', async () => {
    writePlugin('kube/bin/token', printing(execCredential({ token: 'abc' })));
    const connection = loadClusterConnection(writeKubeconfig({ command: './bin/token' }), {});
    await connection.credentials();
    connection.invalidate();
    await connection.credentials();
    expect(runCount()).toBe(2);
  });
});

describe('ExecCredentialPlugin errors', () => {
  async function pluginError(body: string, config: Partial<ExecConfig> = {}): Promise<{ command: string; message: string }> {
    const command = writePlugin('plugin', body);
    const error = await rejection(newPlugin({ command, ...config }).credentials());
    return { command, message: error.message };
  }

  it('reports missing command with installHint', async () => {
    const command = join(folder, 'missing');
    const plugin = newPlugin({ command, installHint: '  Install it with: make tools\n' });
    expect((await rejection(plugin.credentials())).message).toBe(`${WHERE}: exec plugin ${command} not found on PATH; install it or fix the user's exec command. Install it with: make tools`);
  });

  it('reports missing command without hint', async () => {
    const command = join(folder, 'missing');
    expect((await rejection(newPlugin({ command }).credentials())).message).toBe(`${WHERE}: exec plugin ${command} not found on PATH; install it or fix the user's exec command.`);
  });

  it('reports non-zero exit with stderr tail', async () => {
    const { command, message } = await pluginError(`for line in one two three four five; do echo "$line" >&2; done\nexit 3`);
    expect(message).toBe(`${WHERE}: exec plugin ${command} failed: three four five`);
  });

  it('reports non-zero exit without stderr', async () => {
    const { command, message } = await pluginError('exit 3');
    expect(message).toContain(`${WHERE}: exec plugin ${command} failed: Command failed`);
  });

  it('reports non-JSON output', async () => {
    const { command, message } = await pluginError('echo "token: abc"');
    expect(message).toBe(`${WHERE}: exec plugin ${command} did not print an ExecCredential as JSON`);
  });

  it('reports empty output', async () => {
    const { command, message } = await pluginError('true');
    expect(message).toBe(`${WHERE}: exec plugin ${command} did not print an ExecCredential as JSON`);
  });

  it('reports JSON null output', async () => {
    const { command, message } = await pluginError('echo null');
    expect(message).toBe(`${WHERE}: exec plugin ${command} did not print an ExecCredential as JSON`);
  });

  it('reports wrong kind', async () => {
    const { command, message } = await pluginError(printing(JSON.stringify({ apiVersion: V1, kind: 'Secret', status: { token: 'abc' } })));
    expect(message).toBe(`${WHERE}: exec plugin ${command} printed Secret ${V1}, expected ExecCredential ${V1}`);
  });

  it('reports wrong apiVersion', async () => {
    const { command, message } = await pluginError(printing(execCredential({ token: 'abc' }, V1BETA1)));
    expect(message).toBe(`${WHERE}: exec plugin ${command} printed ExecCredential ${V1BETA1}, expected ExecCredential ${V1}`);
  });

  it('reports missing status', async () => {
    const { command, message } = await pluginError(printing(JSON.stringify({ apiVersion: V1, kind: 'ExecCredential' })));
    expect(message).toBe(`${WHERE}: exec plugin ${command} printed an ExecCredential without status`);
  });

  it('reports neither token nor certificate', async () => {
    const { command, message } = await pluginError(printing(execCredential({})));
    expect(message).toBe(`${WHERE}: exec plugin ${command} returned neither a token nor a client certificate`);
  });

  it('reports certificate without key', async () => {
    const { command, message } = await pluginError(printing(execCredential({ clientCertificateData: CERT_PEM })));
    expect(message).toBe(`${WHERE}: exec plugin ${command} returned a client certificate without its key, or a key without its certificate`);
  });

  it('reports key without certificate', async () => {
    const { command, message } = await pluginError(printing(execCredential({ token: 'abc', clientKeyData: KEY_PEM })));
    expect(message).toBe(`${WHERE}: exec plugin ${command} returned a client certificate without its key, or a key without its certificate`);
  });

  it('reports invalid expirationTimestamp', async () => {
    const { command, message } = await pluginError(printing(execCredential({ token: 'abc', expirationTimestamp: 'tomorrow' })));
    expect(message).toBe(`${WHERE}: exec plugin ${command} returned an invalid expirationTimestamp "tomorrow"`);
  });

  it('rejects interactiveMode Always', () => {
    expect(() => newPlugin({ command: 'token', interactiveMode: 'Always' })).toThrow(
      `${WHERE}: exec interactiveMode Always needs a terminal, which the operator does not have; use IfAvailable or Never`,
    );
  });

  it('accepts interactiveMode IfAvailable', () => {
    expect(() => newPlugin({ command: 'token', interactiveMode: 'IfAvailable' })).not.toThrow();
  });

  it('rejects unsupported apiVersion', () => {
    expect(() => newPlugin({ command: 'token', apiVersion: 'client.authentication.k8s.io/v1alpha1' })).toThrow(
      `${WHERE}: exec apiVersion "client.authentication.k8s.io/v1alpha1" is not supported; use one of ${V1}, ${V1BETA1}`,
    );
  });

  it('rejects missing apiVersion', () => {
    expect(() => new ExecCredentialPlugin({ command: 'token' }, CLUSTER, folder, WHERE)).toThrow(`${WHERE}: exec apiVersion "" is not supported`);
  });

  it('rejects missing command', () => {
    expect(() => new ExecCredentialPlugin({ apiVersion: V1 }, CLUSTER, folder, WHERE)).toThrow(`${WHERE}: exec has no command`);
  });
});
