/**
 * Client side of the Kubernetes exec credential protocol (client.authentication.k8s.io
 * v1 and v1beta1): runs the kubeconfig's plugin, such as `aws eks get-token` or
 * `flywheel eks token`, and caches its ExecCredential until it expires.
 */
import { execFile } from 'node:child_process';
import { isAbsolute, resolve, sep } from 'node:path';
import type { Credentials } from './kubeconfig.ts';

const SUPPORTED_API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'];
/** A plugin that runs longer than this is stopped and the request fails. */
const PLUGIN_TIMEOUT_MS = 60_000;
/** Credentials are renewed this long before their expirationTimestamp. */
const EXPIRY_MARGIN_MS = 10_000;

/** The `exec` block of a kubeconfig user. */
export interface ExecConfig {
  apiVersion?: string;
  command?: string;
  args?: string[];
  env?: Array<{ name?: string; value?: string }> | null;
  installHint?: string;
  provideClusterInfo?: boolean;
  interactiveMode?: 'Never' | 'IfAvailable' | 'Always';
}

export interface ExecClusterInfo {
  server: string;
  ca: string | undefined;
  insecure: boolean;
}

interface ExecCredentialStatus {
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
  expirationTimestamp?: string;
}

export class ExecCredentialPlugin {
  readonly #config: Required<Pick<ExecConfig, 'apiVersion' | 'command'>> & ExecConfig;
  readonly #cluster: ExecClusterInfo;
  readonly #directory: string;
  readonly #where: string;
  #cached: { credentials: Credentials; expiresAt: number } | undefined;
  #pending: Promise<Credentials> | undefined;

  /**
   * @param directory the kubeconfig's folder, against which a relative command path
   *   such as ./bin/token resolves
   * @param where the context and file, for error messages
   */
  constructor(config: ExecConfig, cluster: ExecClusterInfo, directory: string, where: string) {
    if (!config.command) throw new Error(`${where}: exec has no command`);
    if (!config.apiVersion || !SUPPORTED_API_VERSIONS.includes(config.apiVersion)) {
      throw new Error(`${where}: exec apiVersion "${config.apiVersion ?? ''}" is not supported; use one of ${SUPPORTED_API_VERSIONS.join(', ')}`);
    }
    if (config.interactiveMode === 'Always') {
      throw new Error(`${where}: exec interactiveMode Always needs a terminal, which the operator does not have; use IfAvailable or Never`);
    }
    this.#config = { ...config, apiVersion: config.apiVersion, command: config.command };
    this.#cluster = cluster;
    this.#directory = directory;
    this.#where = where;
  }

  credentials(): Promise<Credentials> {
    if (this.#cached && Date.now() < this.#cached.expiresAt - EXPIRY_MARGIN_MS) {
      return Promise.resolve(this.#cached.credentials);
    }
    this.#pending ??= this.#run().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  invalidate(): void {
    this.#cached = undefined;
  }

  async #run(): Promise<Credentials> {
    const output = await this.#execute();
    const status = this.#parse(output);
    const credentials: Credentials = {};
    if (status.token) credentials.authorization = `Bearer ${status.token}`;
    if (status.clientCertificateData || status.clientKeyData) {
      if (!status.clientCertificateData || !status.clientKeyData) {
        throw new Error(`${this.#where}: exec plugin ${this.#config.command} returned a client certificate without its key, or a key without its certificate`);
      }
      credentials.cert = status.clientCertificateData;
      credentials.key = status.clientKeyData;
    }
    if (!credentials.authorization && !credentials.cert) {
      throw new Error(`${this.#where}: exec plugin ${this.#config.command} returned neither a token nor a client certificate`);
    }

    const expiresAt = status.expirationTimestamp ? Date.parse(status.expirationTimestamp) : Number.POSITIVE_INFINITY;
    if (Number.isNaN(expiresAt)) {
      throw new Error(`${this.#where}: exec plugin ${this.#config.command} returned an invalid expirationTimestamp "${status.expirationTimestamp}"`);
    }
    this.#cached = { credentials, expiresAt };
    return credentials;
  }

  #execute(): Promise<string> {
    const { command, args = [], env, installHint } = this.#config;
    // client-go resolves a command with a path separator against the kubeconfig's folder.
    const file = command.includes(sep) && !isAbsolute(command) ? resolve(this.#directory, command) : command;
    const childEnv: Record<string, string | undefined> = { ...process.env, KUBERNETES_EXEC_INFO: JSON.stringify(this.#execInfo()) };
    for (const variable of env ?? []) {
      if (variable.name) childEnv[variable.name] = variable.value ?? '';
    }

    return new Promise((resolvePromise, reject) => {
      execFile(file, args, { env: childEnv, timeout: PLUGIN_TIMEOUT_MS, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
        if (!error) {
          resolvePromise(stdout);
          return;
        }
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          const hint = installHint ? ` ${installHint.trim()}` : '';
          reject(new Error(`${this.#where}: exec plugin ${command} not found on PATH; install it or fix the user's exec command.${hint}`));
          return;
        }
        const detail = stderr.trim().split('\n').slice(-3).join(' ') || error.message;
        reject(new Error(`${this.#where}: exec plugin ${command} failed: ${detail}`));
      });
    });
  }

  #execInfo(): Record<string, unknown> {
    const spec: Record<string, unknown> = { interactive: false };
    if (this.#config.provideClusterInfo) {
      spec.cluster = {
        server: this.#cluster.server,
        'certificate-authority-data': this.#cluster.ca ? Buffer.from(this.#cluster.ca).toString('base64') : undefined,
        'insecure-skip-tls-verify': this.#cluster.insecure,
      };
    }
    return { apiVersion: this.#config.apiVersion, kind: 'ExecCredential', spec };
  }

  #parse(output: string): ExecCredentialStatus {
    let parsed: unknown;
    try {
      parsed = JSON.parse(output);
    } catch {
      parsed = undefined;
    }
    // JSON.parse also accepts null, numbers and arrays, and none of them is an ExecCredential.
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new Error(`${this.#where}: exec plugin ${this.#config.command} did not print an ExecCredential as JSON`);
    }
    const credential = parsed as { apiVersion?: string; kind?: string; status?: ExecCredentialStatus };
    if (credential.kind !== 'ExecCredential' || credential.apiVersion !== this.#config.apiVersion) {
      throw new Error(
        `${this.#where}: exec plugin ${this.#config.command} printed ${credential.kind ?? 'no kind'} ${credential.apiVersion ?? ''}, expected ExecCredential ${this.#config.apiVersion}`,
      );
    }
    if (!credential.status) throw new Error(`${this.#where}: exec plugin ${this.#config.command} printed an ExecCredential without status`);
    return credential.status;
  }
}
