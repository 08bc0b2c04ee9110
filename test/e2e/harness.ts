/**
 * Shared set-up of the end-to-end tests: the local control plane's kubeconfig, kubectl,
 * a REST client, throwaway namespaces and operator processes started from source.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { KubeClient } from '../../operator/src/kube/client.ts';
import { loadClusterConnection } from '../../operator/src/kube/kubeconfig.ts';

const execFileAsync = promisify(execFile);

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const KUBECONFIG = process.env.FLYWHEEL_KUBECONFIG ?? `${REPO_ROOT}.flywheel/kubeconfig`;

export function requireCluster(): void {
  if (!existsSync(KUBECONFIG)) {
    throw new Error(`no kubeconfig at ${KUBECONFIG}; start the local control plane with \`make cluster-up\``);
  }
}

export function kubeClient(): KubeClient {
  requireCluster();
  return new KubeClient(loadClusterConnection(KUBECONFIG));
}

export interface KubectlResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs kubectl against the local control plane; never throws on a non-zero exit. */
export async function kubectl(args: string[], input?: string): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile('kubectl', ['--kubeconfig', KUBECONFIG, ...args], { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      let code = 0;
      if (error) code = typeof error.code === 'number' ? error.code : 1;
      resolve({ stdout, stderr, code });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Runs kubectl and throws with its stderr when it fails. */
export async function kubectlOk(args: string[], input?: string): Promise<string> {
  const result = await kubectl(args, input);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

export async function kubectlJson<T>(args: string[]): Promise<T> {
  return JSON.parse(await kubectlOk([...args, '-o', 'json'])) as T;
}

/** Creates a namespace with a unique name and labels; returns its name. */
export async function createNamespace(prefix: string, labels: Record<string, string> = {}): Promise<string> {
  const name = `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
  const manifest = { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'flywheel.dev/test': 'e2e', ...labels } } };
  await kubectlOk(['apply', '-f', '-'], JSON.stringify(manifest));
  return name;
}

export async function deleteNamespace(name: string): Promise<void> {
  await kubectl(['delete', 'namespace', name, '--wait=false', '--ignore-not-found']);
}

export async function applyCrd(): Promise<void> {
  await kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', `${REPO_ROOT}crds/microservices.flywheel.dev.yaml`]);
  await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd/microservices.flywheel.dev']);
}

/** Polls `check` until it returns a value other than undefined, or fails after the timeout. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 120_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export interface OperatorProcess {
  child: ChildProcess;
  /** Every log line the process printed so far, parsed from JSON where possible. */
  logs: Array<Record<string, unknown>>;
  /**
   * Resolves with the exit code once the process exited and its stdout and stderr closed,
   * so `logs` then contains every line it printed.
   */
  exited: Promise<number | null>;
  /** Sends `signal` and resolves like `exited`. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts the operator from source with JSON logs, watching the given namespaces. */
export function startOperator(args: string[] = [], env: NodeJS.ProcessEnv = {}): OperatorProcess {
  requireCluster();
  // Free ports for metrics and probes, so operators of concurrent tests never collide on
  // the defaults 8080 and 8081; a later flag in `args` overrides these.
  const ports = ['--metrics-bind-address', '127.0.0.1:0', '--health-probe-bind-address', '127.0.0.1:0'];
  const child = spawn(process.execPath, [`${REPO_ROOT}operator/src/main.ts`, '--kubeconfig', KUBECONFIG, '--log-format', 'json', ...ports, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  const record = (line: string) => {
    if (!line.trim()) return;
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      logs.push({ message: line });
    }
  };
  // A read from a pipe can end in the middle of a line, for example when more than one
  // read's worth of output has piled up, so the unfinished rest waits for the next chunk.
  const collect = (stream: NodeJS.ReadableStream | null) => {
    let unfinished = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const lines = (unfinished + chunk).split('\n');
      unfinished = lines.pop() ?? '';
      for (const line of lines) record(line);
      if (process.env.FLYWHEEL_E2E_VERBOSE) process.stderr.write(chunk);
    });
    stream?.on('end', () => record(unfinished));
  };
  collect(child.stdout);
  collect(child.stderr);
  // Node.js can emit 'exit' before the last output was read from the pipes, but 'close'
  // comes after both.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    child,
    logs,
    exited,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export async function run(command: string, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync(command, args, { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}
