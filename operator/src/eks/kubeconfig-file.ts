// Writes an EKS cluster into a kubeconfig file, as `aws eks update-kubeconfig` does but
// with `flywheel eks token` as the credential plugin.
import { mkdir, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';

import YAML, { isMap, isScalar, isSeq, type Document } from 'yaml';

import type { EksClusterInfo } from './cluster.ts';
import { EXEC_CREDENTIAL_API_VERSION } from './token.ts';

/** One cluster, user and context, named as they appear in the file. */
export interface KubeconfigEntry {
  clusterName: string;
  userName: string;
  contextName: string;
  server: string;
  certificateAuthorityData: string;
  exec: ExecConfig;
}

/** The `users[].user.exec` block of a kubeconfig. */
export interface ExecConfig {
  apiVersion: string;
  command: string;
  args: string[];
  interactiveMode: 'Never';
}

export interface KubeconfigEntryOptions {
  /** Context name. Defaults to the cluster ARN. */
  alias?: string;
  roleArn?: string;
  /** Program kubectl runs to get a token. */
  command?: string;
}

export const DEFAULT_EXEC_COMMAND = 'flywheel';

/**
 * Builds the entry for a cluster. The cluster and user are named by the cluster ARN,
 * because it is unique across accounts and regions. The context takes the alias when
 * one is given.
 */
export function buildKubeconfigEntry(cluster: EksClusterInfo, options: KubeconfigEntryOptions = {}): KubeconfigEntry {
  const args = ['eks', 'token', '--cluster', cluster.name, '--region', cluster.region];
  if (options.roleArn !== undefined) {
    args.push('--role-arn', options.roleArn);
  }
  return {
    clusterName: cluster.arn,
    userName: cluster.arn,
    contextName: options.alias ?? cluster.arn,
    server: cluster.endpoint,
    certificateAuthorityData: cluster.certificateAuthorityData,
    exec: {
      apiVersion: EXEC_CREDENTIAL_API_VERSION,
      command: options.command ?? DEFAULT_EXEC_COMMAND,
      args,
      interactiveMode: 'Never',
    },
  };
}

/**
 * Returns the file kubectl would write to: the first path in KUBECONFIG, else
 * ~/.kube/config.
 */
export function defaultKubeconfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const first = (env.KUBECONFIG ?? '').split(path.delimiter).find((item) => item !== '');
  return first ?? path.join(homedir(), '.kube', 'config');
}

/**
 * Merges an entry into kubeconfig text and returns the new text. Entries with other names,
 * all other fields and comments are kept. The cluster, user and context with the entry's
 * names are replaced, and current-context is set to the entry's context.
 */
export function mergeKubeconfig(existing: string, entry: KubeconfigEntry, source = 'kubeconfig'): string {
  const doc = existing.trim() === '' ? new YAML.Document({}) : YAML.parseDocument(existing);
  if (doc.errors.length > 0) {
    // The first line names the problem and its position. The rest is a source excerpt.
    const problem = (doc.errors[0]?.message ?? 'parse error').split('\n')[0]?.replace(/:$/, '');
    throw new Error(`${source} is not valid YAML (${problem}): fix or move the file, or pass --kubeconfig with another path`);
  }
  if (doc.contents === null) {
    doc.contents = doc.createNode({});
  }
  if (!isMap(doc.contents)) {
    throw new Error(`${source} does not contain a YAML mapping at the top level: fix or move the file, or pass --kubeconfig with another path`);
  }

  if (!doc.has('apiVersion')) doc.set('apiVersion', 'v1');
  if (!doc.has('kind')) doc.set('kind', 'Config');

  upsertNamed(doc, 'clusters', entry.clusterName, 'cluster', {
    server: entry.server,
    'certificate-authority-data': entry.certificateAuthorityData,
  }, source);
  upsertNamed(doc, 'users', entry.userName, 'user', { exec: entry.exec }, source);
  upsertNamed(doc, 'contexts', entry.contextName, 'context', {
    cluster: entry.clusterName,
    user: entry.userName,
  }, source);
  doc.set('current-context', entry.contextName);

  // Sequences at the indentation of their key, as kubectl writes them.
  return doc.toString({ indentSeq: false });
}

// Replaces the item of the named list whose `name` matches, or appends one.
function upsertNamed(
  doc: Document,
  listKey: string,
  name: string,
  bodyKey: string,
  body: Record<string, unknown>,
  source: string,
): void {
  const item = doc.createNode({ name, [bodyKey]: body });
  const list = doc.get(listKey, true);
  if (list === undefined || (isScalar(list) && list.value === null)) {
    doc.set(listKey, doc.createNode([item]));
    return;
  }
  if (!isSeq(list)) {
    throw new Error(`${source} has a "${listKey}" field that is not a list: fix or move the file, or pass --kubeconfig with another path`);
  }

  const index = list.items.findIndex((existing) => isMap(existing) && existing.get('name') === name);
  if (index === -1) {
    list.items.push(item);
  } else {
    list.items[index] = item;
  }
}

/** Result of writing an entry into a kubeconfig file. */
export interface KubeconfigWriteResult {
  path: string;
  created: boolean;
}

/**
 * Merges an entry into the kubeconfig file at filePath, creating the file and its
 * directory when missing. The new content is written to a temporary file in the same
 * directory and renamed over the old one, so a failed write leaves the old file intact.
 * The file ends up with mode 0600 even when it had another mode before.
 */
export async function writeKubeconfigEntry(filePath: string, entry: KubeconfigEntry): Promise<KubeconfigWriteResult> {
  let existing = '';
  let created = false;
  // Writing through a symbolic link keeps the link, which a rename onto it would replace.
  const target = await realpath(filePath).catch(() => filePath);
  try {
    existing = await readFile(target, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(`reading kubeconfig ${filePath} failed: check that it is a readable file, or pass --kubeconfig with another path`, {
        cause: err,
      });
    }
    created = true;
  }

  const merged = mergeKubeconfig(existing, entry, `kubeconfig ${filePath}`);
  const directory = path.dirname(target);
  const temporary = path.join(directory, `.${path.basename(target)}.${process.pid}.tmp`);
  try {
    await mkdir(directory, { recursive: true, mode: 0o700 });
    // 0600 as kubectl uses, because kubeconfig files often hold credentials of other clusters.
    await writeFile(temporary, merged, { mode: 0o600 });
    await rename(temporary, target);
  } catch (err) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw new Error(`writing kubeconfig ${filePath} failed: check that its directory is writable, or pass --kubeconfig with another path`, {
      cause: err,
    });
  }
  return { path: filePath, created };
}
