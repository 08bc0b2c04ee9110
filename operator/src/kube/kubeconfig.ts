/**
 * Connection settings for one API server, read from a kubeconfig file or from the pod's
 * service account, in the order controller-runtime uses: --kubeconfig, then KUBECONFIG,
 * then in-cluster, then ~/.kube/config.
 *
 * The operator reads these itself instead of through @kubernetes/client-node, because
 * importing that package loads every generated API model: about 36 MB of heap that a
 * long-running operator would carry for nothing (measured with Node.js 22.23.3).
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { ExecCredentialPlugin, type ExecConfig } from './exec-credential.ts';

/** Folder of a pod's service account token, CA bundle and namespace. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Re-read interval for token files, which the kubelet rotates for projected tokens. */
const TOKEN_FILE_TTL_MS = 60_000;

export interface TlsSettings {
  ca?: string;
  cert?: string;
  key?: string;
  /** false only with insecure-skip-tls-verify. */
  rejectUnauthorized: boolean;
  /** tls-server-name: the name checked against the server certificate. */
  servername?: string;
}

/** Per-request credentials. A client certificate here replaces the one in TlsSettings. */
export interface Credentials {
  authorization?: string;
  cert?: string;
  key?: string;
}

export interface ClusterConnection {
  /** Base URL without a trailing slash, such as https://127.0.0.1:6443. */
  readonly server: string;
  readonly tls: TlsSettings;
  /** The context's namespace, or the pod's namespace in a cluster. */
  readonly namespace: string | undefined;
  /** Origin of the settings (context and file), for logs and errors. */
  readonly source: string;
  /** Returns current credentials, running an exec plugin or re-reading a token file when due. */
  credentials(): Promise<Credentials>;
  /** Drops cached exec credentials after the server returned 401, so the next call renews them. */
  invalidate(): void;
}

export class KubeconfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeconfigError';
  }
}

type Env = Record<string, string | undefined>;

/**
 * Loads the connection from `path`, or, without one, from KUBECONFIG, the pod's service
 * account, or ~/.kube/config, whichever is found first. `path` may list several files
 * as KUBECONFIG does, because the operator's --kubeconfig flag defaults to KUBECONFIG.
 */
export function loadClusterConnection(path?: string, env: Env = process.env): ClusterConnection {
  const files = (path ?? env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  if (files.length === 1 && path) return fromKubeconfigFiles(files);
  if (files.length > 0) {
    // Like kubectl, skip entries of a list that do not exist. A single explicit path must exist.
    const existing = files.filter((file) => existsSync(file));
    if (existing.length === 0) {
      const setting = path ? '--kubeconfig' : 'KUBECONFIG';
      throw new KubeconfigError(`none of the files in ${setting} exist: ${files.join(', ')}; fix ${setting} or unset it`);
    }
    return fromKubeconfigFiles(existing);
  }

  if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT && existsSync(join(SERVICE_ACCOUNT_DIR, 'token'))) {
    return inClusterConnection(env.KUBERNETES_SERVICE_HOST, env.KUBERNETES_SERVICE_PORT, SERVICE_ACCOUNT_DIR);
  }

  const home = join(env.HOME ?? homedir(), '.kube', 'config');
  if (existsSync(home)) return fromKubeconfigFiles([home]);

  throw new KubeconfigError(
    'no kubeconfig found: pass --kubeconfig, set KUBECONFIG, run in a pod with a service account, or create ~/.kube/config',
  );
}

/** Connection of a pod to its own cluster through the kubernetes Service. */
export function inClusterConnection(host: string, port: string, directory: string): ClusterConnection {
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const tokenFile = join(directory, 'token');
  const namespaceFile = join(directory, 'namespace');
  const caFile = join(directory, 'ca.crt');
  let ca: string;
  try {
    ca = readFileSync(caFile, 'utf8');
  } catch (error) {
    throw new KubeconfigError(`cannot read the service account CA bundle ${caFile}: ${(error as Error).message}`);
  }
  return staticConnection({
    server,
    tls: { ca, rejectUnauthorized: true },
    namespace: existsSync(namespaceFile) ? readFileSync(namespaceFile, 'utf8').trim() : undefined,
    source: `service account in ${directory}`,
    tokenFile,
  });
}

interface KubeconfigDocument {
  'current-context'?: string;
  clusters?: Array<{ name?: string; cluster?: ClusterEntry }>;
  users?: Array<{ name?: string; user?: UserEntry }>;
  contexts?: Array<{ name?: string; context?: ContextEntry }>;
}

interface ClusterEntry {
  server?: string;
  'certificate-authority'?: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'tls-server-name'?: string;
  'proxy-url'?: string;
}

interface UserEntry {
  token?: string;
  tokenFile?: string;
  'client-certificate'?: string;
  'client-certificate-data'?: string;
  'client-key'?: string;
  'client-key-data'?: string;
  username?: string;
  password?: string;
  exec?: ExecConfig;
  'auth-provider'?: { name?: string };
  as?: string;
  'as-uid'?: string;
  'as-groups'?: string[];
  'as-user-extra'?: Record<string, string[]>;
}

interface ContextEntry {
  cluster?: string;
  user?: string;
  namespace?: string;
}

/** A named entry with the file it came from, so relative paths resolve against that file. */
interface Located<T> {
  value: T;
  file: string;
}

/**
 * Merges the files as kubectl does: the first file that sets current-context, or that
 * defines a name, wins.
 */
function fromKubeconfigFiles(files: string[]): ClusterConnection {
  let currentContext: string | undefined;
  const clusters = new Map<string, Located<ClusterEntry>>();
  const users = new Map<string, Located<UserEntry>>();
  const contexts = new Map<string, Located<ContextEntry>>();

  for (const file of files) {
    const document = readKubeconfig(file);
    currentContext ??= document['current-context'] || undefined;
    addEntries(clusters, document.clusters, 'cluster', file);
    addEntries(users, document.users, 'user', file);
    addEntries(contexts, document.contexts, 'context', file);
  }

  const where = files.join(delimiter);
  if (!currentContext) {
    throw new KubeconfigError(`kubeconfig ${where} has no current-context; set one with kubectl config use-context NAME`);
  }
  const context = contexts.get(currentContext)?.value;
  if (!context) {
    const defined = [...contexts.keys()].map((name) => `"${name}"`).join(', ') || 'none';
    throw new KubeconfigError(
      `kubeconfig ${where}: context "${currentContext}" is not defined (defined: ${defined}); fix current-context, for example with kubectl config use-context NAME`,
    );
  }

  const cluster = context.cluster ? clusters.get(context.cluster) : undefined;
  if (!cluster) {
    throw new KubeconfigError(`kubeconfig ${where}: context "${currentContext}" names cluster "${context.cluster ?? ''}", which is not defined`);
  }
  const user = context.user ? users.get(context.user) : { value: {}, file: cluster.file };
  if (!user) {
    throw new KubeconfigError(`kubeconfig ${where}: context "${currentContext}" names user "${context.user ?? ''}", which is not defined`);
  }

  return connectionFor(currentContext, cluster, user, context.namespace || undefined);
}

function readKubeconfig(file: string): KubeconfigDocument {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new KubeconfigError(`cannot read kubeconfig ${file}: ${(error as Error).message}; check --kubeconfig and KUBECONFIG`);
  }
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new KubeconfigError(`kubeconfig ${file} is not valid YAML: ${(error as Error).message}`);
  }
  if (document === null || document === undefined) return {};
  if (typeof document !== 'object' || Array.isArray(document)) {
    throw new KubeconfigError(`kubeconfig ${file} must be a mapping with clusters, users and contexts`);
  }
  return document as KubeconfigDocument;
}

function addEntries<T>(
  into: Map<string, Located<T>>,
  entries: Array<{ name?: string } & Partial<Record<'cluster' | 'user' | 'context', T>>> | undefined,
  field: 'cluster' | 'user' | 'context',
  file: string,
): void {
  if (entries === undefined || entries === null) return;
  if (!Array.isArray(entries)) throw new KubeconfigError(`kubeconfig ${file}: ${field}s must be a list of entries with a name`);
  for (const entry of entries) {
    if (entry === null || typeof entry !== 'object') throw new KubeconfigError(`kubeconfig ${file}: every entry of ${field}s must be a mapping`);
    if (!entry.name || into.has(entry.name)) continue;
    into.set(entry.name, { value: entry[field] ?? ({} as T), file });
  }
}

function connectionFor(
  contextName: string,
  cluster: Located<ClusterEntry>,
  user: Located<UserEntry>,
  namespace: string | undefined,
): ClusterConnection {
  const where = `context "${contextName}" of kubeconfig ${cluster.file}`;
  const { value: clusterEntry } = cluster;
  if (!clusterEntry.server) throw new KubeconfigError(`${where}: the cluster has no server`);
  if (clusterEntry['proxy-url']) {
    throw new KubeconfigError(`${where}: proxy-url is not supported; reach the API server directly or through a tunnel`);
  }

  const { value: userEntry } = user;
  if (userEntry['auth-provider']) {
    throw new KubeconfigError(
      `${where}: auth-provider "${userEntry['auth-provider'].name ?? ''}" is not supported; use an exec credential plugin instead`,
    );
  }
  const impersonation = (['as', 'as-uid', 'as-groups', 'as-user-extra'] as const).find((field) => userEntry[field] !== undefined);
  if (impersonation) throw new KubeconfigError(`${where}: impersonation (${impersonation}) is not supported`);

  const tls: TlsSettings = {
    ca: readData(clusterEntry['certificate-authority-data'], clusterEntry['certificate-authority'], cluster.file, 'certificate-authority'),
    cert: readData(userEntry['client-certificate-data'], userEntry['client-certificate'], user.file, 'client-certificate'),
    key: readData(userEntry['client-key-data'], userEntry['client-key'], user.file, 'client-key'),
    rejectUnauthorized: clusterEntry['insecure-skip-tls-verify'] !== true,
    servername: clusterEntry['tls-server-name'],
  };
  if (Boolean(tls.cert) !== Boolean(tls.key)) {
    throw new KubeconfigError(`${where}: a client certificate needs both client-certificate and client-key`);
  }

  const server = clusterEntry.server.replace(/\/+$/, '');
  const base = { server, tls, namespace, source: where };
  if (userEntry.exec) {
    let plugin: ExecCredentialPlugin;
    try {
      plugin = new ExecCredentialPlugin(userEntry.exec, { server, ca: tls.ca, insecure: !tls.rejectUnauthorized }, dirname(user.file), where);
    } catch (error) {
      // The constructor rejects an invalid exec block, which is a kubeconfig error like the others.
      throw new KubeconfigError((error as Error).message);
    }
    return {
      ...base,
      credentials: () => plugin.credentials(),
      invalidate: () => plugin.invalidate(),
    };
  }
  if (userEntry.username !== undefined && !userEntry.token && !userEntry.tokenFile) {
    const basic = Buffer.from(`${userEntry.username}:${userEntry.password ?? ''}`).toString('base64');
    return { ...base, credentials: async () => ({ authorization: `Basic ${basic}` }), invalidate: () => {} };
  }
  return staticConnection({
    ...base,
    token: userEntry.token,
    tokenFile: userEntry.token ? undefined : userEntry.tokenFile && resolvePath(userEntry.tokenFile, user.file),
  });
}

interface StaticSettings {
  server: string;
  tls: TlsSettings;
  namespace: string | undefined;
  source: string;
  token?: string;
  tokenFile?: string;
}

/** Builds a connection with a fixed token, a token file re-read every minute, or no token. */
function staticConnection(settings: StaticSettings): ClusterConnection {
  const { token, tokenFile, ...rest } = settings;
  let cached: { token: string; readAt: number } | undefined;

  const currentToken = (): string | undefined => {
    if (token) return token;
    if (!tokenFile) return undefined;
    const now = Date.now();
    if (!cached || now - cached.readAt >= TOKEN_FILE_TTL_MS) {
      try {
        cached = { token: readFileSync(tokenFile, 'utf8').trim(), readAt: now };
      } catch (error) {
        // Keep the last token while a rotation replaces the file; fail only without one.
        if (!cached) throw new KubeconfigError(`cannot read token file ${tokenFile}: ${(error as Error).message}`);
      }
    }
    return cached.token;
  };

  return {
    ...rest,
    credentials: async () => {
      const value = currentToken();
      return value ? { authorization: `Bearer ${value}` } : {};
    },
    // Re-read the file on the next request, but keep the old token if the file is gone.
    invalidate: () => {
      if (cached) cached.readAt = 0;
    },
  };
}

/** Returns inline base64 data decoded, or the named file's contents, or undefined. */
function readData(data: string | undefined, file: string | undefined, kubeconfigFile: string, field: string): string | undefined {
  if (data) return Buffer.from(data, 'base64').toString('utf8');
  if (!file) return undefined;
  const path = resolvePath(file, kubeconfigFile);
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new KubeconfigError(`cannot read ${field} ${path} named in kubeconfig ${kubeconfigFile}: ${(error as Error).message}`);
  }
}

/** Paths in a kubeconfig are relative to the file that contains them. */
function resolvePath(path: string, kubeconfigFile: string): string {
  return isAbsolute(path) ? path : resolve(dirname(kubeconfigFile), path);
}
