/**
 * Kubeconfig loading against real files in a temporary folder: every supported field,
 * relative paths, KUBECONFIG merging, the in-cluster connection, token file re-reads,
 * error messages and the order in which sources are tried.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import {
  inClusterConnection,
  KubeconfigError,
  loadClusterConnection,
  SERVICE_ACCOUNT_DIR,
} from '../../../operator/src/kube/kubeconfig.ts';

const CA_PEM = '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n';
const CERT_PEM = '-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n';
const KEY_PEM = '-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n';
const SERVER = 'https://127.0.0.1:6443';

const base64 = (text: string): string => Buffer.from(text).toString('base64');

/** A pod on a real cluster has this file, and then the in-cluster source wins over ~/.kube/config. */
const inPod = existsSync(join(SERVICE_ACCOUNT_DIR, 'token'));

let folder: string;

beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'flywheel-kubeconfig-'));
});

afterEach(() => {
  vi.useRealTimers();
  rmSync(folder, { recursive: true, force: true });
});

/** Writes `text` to `name` under the temporary folder, creating subfolders, and returns the path. */
function writeFile(name: string, text: string): string {
  const path = join(folder, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

interface Parts {
  cluster?: Record<string, unknown>;
  user?: Record<string, unknown>;
  context?: Record<string, unknown>;
}

/** Builds a kubeconfig document with one cluster, one user and a current context "test" joining them. */
function singleContext({ cluster = { server: SERVER }, user = {}, context = {} }: Parts = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'test',
    clusters: [{ name: 'test-cluster', cluster }],
    users: [{ name: 'test-user', user }],
    contexts: [{ name: 'test', context: { cluster: 'test-cluster', user: 'test-user', ...context } }],
  };
}

function writeKubeconfig(name: string, document: unknown): string {
  return writeFile(name, stringify(document));
}

function load(parts: Parts = {}) {
  return loadClusterConnection(writeKubeconfig('config', singleContext(parts)), {});
}

/** Runs `action` and returns the error it throws, or fails the test when it returns. */
function thrownBy(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error, but the call returned');
}

describe('kubeconfig cluster fields', () => {
  it('strips trailing slashes from server', () => {
    expect(load({ cluster: { server: `${SERVER}//` } }).server).toBe(SERVER);
  });

  it('verifies TLS by default', () => {
    const { tls } = load();
    expect(tls.rejectUnauthorized).toBe(true);
    expect(tls.ca).toBeUndefined();
    expect(tls.servername).toBeUndefined();
  });

  it('decodes certificate-authority-data', () => {
    expect(load({ cluster: { server: SERVER, 'certificate-authority-data': base64(CA_PEM) } }).tls.ca).toBe(CA_PEM);
  });

  it('reads relative certificate-authority file', () => {
    writeFile('kube/certs/ca.crt', CA_PEM);
    const path = writeKubeconfig('kube/config', singleContext({ cluster: { server: SERVER, 'certificate-authority': 'certs/ca.crt' } }));
    expect(loadClusterConnection(path, {}).tls.ca).toBe(CA_PEM);
  });

  it('reads absolute certificate-authority file', () => {
    const caFile = writeFile('elsewhere/ca.crt', CA_PEM);
    expect(load({ cluster: { server: SERVER, 'certificate-authority': caFile } }).tls.ca).toBe(CA_PEM);
  });

  it('prefers certificate-authority-data over file', () => {
    const cluster = { server: SERVER, 'certificate-authority-data': base64(CA_PEM), 'certificate-authority': 'missing.crt' };
    expect(load({ cluster }).tls.ca).toBe(CA_PEM);
  });

  it('honors insecure-skip-tls-verify', () => {
    expect(load({ cluster: { server: SERVER, 'insecure-skip-tls-verify': true } }).tls.rejectUnauthorized).toBe(false);
  });

  it('passes tls-server-name as servername', () => {
    expect(load({ cluster: { server: SERVER, 'tls-server-name': 'api.internal' } }).tls.servername).toBe('api.internal');
  });
});

describe('kubeconfig user fields', () => {
  it('sends token as Bearer', async () => {
    expect(await load({ user: { token: 'abc' } }).credentials()).toEqual({ authorization: 'Bearer abc' });
  });

  it('reads relative tokenFile', async () => {
    writeFile('kube/secrets/token', 'from-file\n');
    const path = writeKubeconfig('kube/config', singleContext({ user: { tokenFile: 'secrets/token' } }));
    expect(await loadClusterConnection(path, {}).credentials()).toEqual({ authorization: 'Bearer from-file' });
  });

  it('prefers token over tokenFile', async () => {
    writeFile('token', 'from-file');
    expect(await load({ user: { token: 'inline', tokenFile: 'token' } }).credentials()).toEqual({ authorization: 'Bearer inline' });
  });

  it('decodes client certificate and key data', () => {
    const { tls } = load({ user: { 'client-certificate-data': base64(CERT_PEM), 'client-key-data': base64(KEY_PEM) } });
    expect(tls.cert).toBe(CERT_PEM);
    expect(tls.key).toBe(KEY_PEM);
  });

  it('reads relative client certificate files', () => {
    writeFile('kube/pki/client.crt', CERT_PEM);
    writeFile('kube/pki/client.key', KEY_PEM);
    const user = { 'client-certificate': 'pki/client.crt', 'client-key': 'pki/client.key' };
    const { tls } = loadClusterConnection(writeKubeconfig('kube/config', singleContext({ user })), {});
    expect(tls.cert).toBe(CERT_PEM);
    expect(tls.key).toBe(KEY_PEM);
  });

  it('sends username and password as Basic', async () => {
    const credentials = await load({ user: { username: 'alice', password: 's3cret' } }).credentials();
    expect(credentials).toEqual({ authorization: `Basic ${base64('alice:s3cret')}` });
  });

  it('sends username without password', async () => {
    expect(await load({ user: { username: 'alice' } }).credentials()).toEqual({ authorization: `Basic ${base64('alice:')}` });
  });

  it('prefers token over username', async () => {
    expect(await load({ user: { token: 'abc', username: 'alice', password: 'x' } }).credentials()).toEqual({ authorization: 'Bearer abc' });
  });

  it('sends nothing for empty user', async () => {
    expect(await load().credentials()).toEqual({});
  });

  it('sends nothing without context user', async () => {
    const document = singleContext();
    document.contexts = [{ name: 'test', context: { cluster: 'test-cluster' } }];
    expect(await loadClusterConnection(writeKubeconfig('config', document), {}).credentials()).toEqual({});
  });
});

describe('kubeconfig context fields', () => {
  it('uses context namespace', () => {
    expect(load({ context: { namespace: 'team-a' } }).namespace).toBe('team-a');
  });

  it('leaves namespace undefined without one', () => {
    expect(load().namespace).toBeUndefined();
  });

  it('names context and file in source', () => {
    const path = writeKubeconfig('config', singleContext());
    expect(loadClusterConnection(path, {}).source).toBe(`context "test" of kubeconfig ${path}`);
  });
});

describe('kubeconfig token file', () => {
  const START = new Date('2030-01-01T00:00:00Z');

  function tokenFileConnection() {
    const tokenFile = writeFile('token', 'first');
    const connection = load({ user: { tokenFile } });
    return { tokenFile, connection };
  }

  it('keeps token for 60 seconds', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(START);
    const { tokenFile, connection } = tokenFileConnection();
    await connection.credentials();

    writeFileSync(tokenFile, 'second');
    vi.setSystemTime(START.getTime() + 59_999);
    expect(await connection.credentials()).toEqual({ authorization: 'Bearer first' });
  });

  it('re-reads token after 60 seconds', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(START);
    const { tokenFile, connection } = tokenFileConnection();
    await connection.credentials();

    writeFileSync(tokenFile, 'second');
    vi.setSystemTime(START.getTime() + 60_000);
    expect(await connection.credentials()).toEqual({ authorization: 'Bearer second' });
  });

  it('keeps last token while file missing', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(START);
    const { tokenFile, connection } = tokenFileConnection();
    await connection.credentials();

    unlinkSync(tokenFile);
    vi.setSystemTime(START.getTime() + 60_000);
    expect(await connection.credentials()).toEqual({ authorization: 'Bearer first' });
  });

  it('invalidate re-reads token immediately', async () => {
    const { tokenFile, connection } = tokenFileConnection();
    await connection.credentials();

    writeFileSync(tokenFile, 'second');
    connection.invalidate();
    expect(await connection.credentials()).toEqual({ authorization: 'Bearer second' });
  });

  it('rejects missing token file', async () => {
    const tokenFile = join(folder, 'missing-token');
    const connection = load({ user: { tokenFile } });
    const error = await connection.credentials().then(
      () => new Error('expected an error'),
      (rejection: Error) => rejection,
    );
    expect(error).toBeInstanceOf(KubeconfigError);
    expect(error.message).toContain(`cannot read token file ${tokenFile}`);
  });
});

describe('KUBECONFIG merge', () => {
  const clusterA = { name: 'shared', cluster: { server: 'https://127.0.0.1:1001' } };
  const clusterB = { name: 'shared', cluster: { server: 'https://127.0.0.1:1002' } };
  const userA = { name: 'shared', user: { token: 'from-a' } };
  const userB = { name: 'shared', user: { token: 'from-b' } };
  const devA = { name: 'dev', context: { cluster: 'shared', user: 'shared', namespace: 'a' } };
  const devB = { name: 'dev', context: { cluster: 'shared', user: 'shared', namespace: 'b' } };
  const prodB = { name: 'prod', context: { cluster: 'shared', user: 'shared', namespace: 'prod' } };

  function loadMerged(files: string[]) {
    return loadClusterConnection(undefined, { KUBECONFIG: files.join(delimiter) });
  }

  it('skips files without current-context', () => {
    const first = writeKubeconfig('a/config', { clusters: [clusterA], users: [userA], contexts: [devA] });
    const second = writeKubeconfig('b/config', { 'current-context': 'prod', clusters: [clusterB], users: [userB], contexts: [devB, prodB] });
    expect(loadMerged([first, second]).namespace).toBe('prod');
  });

  it('keeps first current-context', () => {
    const first = writeKubeconfig('a/config', { 'current-context': 'dev', clusters: [clusterA], users: [userA], contexts: [devA] });
    const second = writeKubeconfig('b/config', { 'current-context': 'prod', contexts: [prodB] });
    expect(loadMerged([first, second]).namespace).toBe('a');
  });

  it('keeps first definition of each name', async () => {
    const first = writeKubeconfig('a/config', { clusters: [clusterA], users: [userA], contexts: [devA] });
    const second = writeKubeconfig('b/config', { 'current-context': 'dev', clusters: [clusterB], users: [userB], contexts: [devB] });
    const connection = loadMerged([first, second]);
    expect(connection.server).toBe('https://127.0.0.1:1001');
    expect(connection.namespace).toBe('a');
    expect(await connection.credentials()).toEqual({ authorization: 'Bearer from-a' });
  });

  it('resolves paths against defining file', async () => {
    writeFile('b/ca.crt', CA_PEM);
    writeFile('b/token', 'from-b-file');
    const first = writeKubeconfig('a/config', { 'current-context': 'dev', contexts: [{ name: 'dev', context: { cluster: 'b', user: 'b' } }] });
    const second = writeKubeconfig('b/config', {
      clusters: [{ name: 'b', cluster: { server: SERVER, 'certificate-authority': 'ca.crt' } }],
      users: [{ name: 'b', user: { tokenFile: 'token' } }],
    });
    const connection = loadMerged([first, second]);
    expect(connection.tls.ca).toBe(CA_PEM);
    expect(await connection.credentials()).toEqual({ authorization: 'Bearer from-b-file' });
  });

  it('ignores empty KUBECONFIG entries', () => {
    const first = writeKubeconfig('a/config', singleContext());
    expect(loadClusterConnection(undefined, { KUBECONFIG: `${delimiter}${first}${delimiter}` }).server).toBe(SERVER);
  });

  it('skips missing KUBECONFIG files', () => {
    const first = writeKubeconfig('a/config', singleContext());
    expect(loadMerged([join(folder, 'missing'), first]).server).toBe(SERVER);
  });

  it('rejects KUBECONFIG without existing files', () => {
    const missing = join(folder, 'missing');
    const error = thrownBy(() => loadMerged([missing]));
    expect(error).toBeInstanceOf(KubeconfigError);
    expect(error.message).toBe(`none of the files in KUBECONFIG exist: ${missing}; fix KUBECONFIG or unset it`);
  });
});

describe('inClusterConnection', () => {
  function serviceAccountFolder(files: Record<string, string> = { token: 'sa-token\n', 'ca.crt': CA_PEM, namespace: 'flywheel-system\n' }) {
    for (const [name, text] of Object.entries(files)) writeFile(`serviceaccount/${name}`, text);
    return join(folder, 'serviceaccount');
  }

  it('builds server from host and port', () => {
    expect(inClusterConnection('10.96.0.1', '443', serviceAccountFolder()).server).toBe('https://10.96.0.1:443');
  });

  it('brackets IPv6 host', () => {
    expect(inClusterConnection('fd00:10:96::1', '443', serviceAccountFolder()).server).toBe('https://[fd00:10:96::1]:443');
  });

  it('reads CA bundle', () => {
    const { tls } = inClusterConnection('10.96.0.1', '443', serviceAccountFolder());
    expect(tls.ca).toBe(CA_PEM);
    expect(tls.rejectUnauthorized).toBe(true);
  });

  it('reads trimmed namespace', () => {
    expect(inClusterConnection('10.96.0.1', '443', serviceAccountFolder()).namespace).toBe('flywheel-system');
  });

  it('leaves namespace undefined without file', () => {
    const directory = serviceAccountFolder({ token: 'sa-token', 'ca.crt': CA_PEM });
    expect(inClusterConnection('10.96.0.1', '443', directory).namespace).toBeUndefined();
  });

  it('sends service account token', async () => {
    const connection = inClusterConnection('10.96.0.1', '443', serviceAccountFolder());
    expect(await connection.credentials()).toEqual({ authorization: 'Bearer sa-token' });
  });

  it('names directory in source', () => {
    const directory = serviceAccountFolder();
    expect(inClusterConnection('10.96.0.1', '443', directory).source).toBe(`service account in ${directory}`);
  });

  it('rejects missing CA bundle', () => {
    const directory = serviceAccountFolder({ token: 'sa-token' });
    const error = thrownBy(() => inClusterConnection('10.96.0.1', '443', directory));
    expect(error).toBeInstanceOf(KubeconfigError);
    expect(error.message).toContain(`cannot read the service account CA bundle ${join(directory, 'ca.crt')}`);
  });
});

describe('loadClusterConnection precedence', () => {
  function setUp() {
    const explicit = writeKubeconfig('explicit/config', singleContext({ cluster: { server: 'https://127.0.0.1:1001' } }));
    const fromEnv = writeKubeconfig('env/config', singleContext({ cluster: { server: 'https://127.0.0.1:1002' } }));
    writeKubeconfig('home/.kube/config', singleContext({ cluster: { server: 'https://127.0.0.1:1003' } }));
    return { explicit, fromEnv, home: join(folder, 'home') };
  }

  it('explicit path beats KUBECONFIG', () => {
    const { explicit, fromEnv, home } = setUp();
    expect(loadClusterConnection(explicit, { KUBECONFIG: fromEnv, HOME: home }).server).toBe('https://127.0.0.1:1001');
  });

  it('explicit path may list files', () => {
    const { explicit, fromEnv } = setUp();
    expect(loadClusterConnection(`${fromEnv}${delimiter}${explicit}`, {}).server).toBe('https://127.0.0.1:1002');
  });

  it('KUBECONFIG beats in-cluster and home', () => {
    const { fromEnv, home } = setUp();
    const env = { KUBECONFIG: fromEnv, HOME: home, KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
    expect(loadClusterConnection(undefined, env).server).toBe('https://127.0.0.1:1002');
  });

  it('falls back to home config', () => {
    const { home } = setUp();
    expect(loadClusterConnection(undefined, { HOME: home }).server).toBe('https://127.0.0.1:1003');
  });

  it.skipIf(inPod)('skips in-cluster without token file', () => {
    const { home } = setUp();
    const env = { HOME: home, KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
    expect(loadClusterConnection(undefined, env).server).toBe('https://127.0.0.1:1003');
  });

  it('rejects when no source exists', () => {
    mkdirSync(join(folder, 'empty-home'));
    const error = thrownBy(() => loadClusterConnection(undefined, { HOME: join(folder, 'empty-home') }));
    expect(error).toBeInstanceOf(KubeconfigError);
    expect(error.message).toContain('no kubeconfig found: pass --kubeconfig, set KUBECONFIG');
  });
});

describe('kubeconfig errors', () => {
  /** Loads `document` from a file named config and returns the path and the error thrown. */
  function loadError(document: unknown): { path: string; error: Error } {
    const path = writeKubeconfig('config', document);
    return { path, error: thrownBy(() => loadClusterConnection(path, {})) };
  }

  const withUser = (user: Record<string, unknown>) => singleContext({ user });
  const withCluster = (cluster: Record<string, unknown>) => singleContext({ cluster });

  const cases: Array<{ name: string; document: () => unknown; message: (path: string) => string }> = [
    {
      name: 'missing current-context',
      document: () => {
        const document = singleContext();
        delete document['current-context'];
        return document;
      },
      message: (path) => `kubeconfig ${path} has no current-context; set one with kubectl config use-context NAME`,
    },
    {
      name: 'undefined context',
      document: () => ({ ...singleContext(), 'current-context': 'other' }),
      message: (path) => `kubeconfig ${path}: context "other" is not defined (defined: "test"); fix current-context, for example with kubectl config use-context NAME`,
    },
    {
      name: 'undefined cluster',
      document: () => singleContext({ context: { cluster: 'nowhere' } }),
      message: (path) => `kubeconfig ${path}: context "test" names cluster "nowhere", which is not defined`,
    },
    {
      name: 'context without cluster',
      document: () => ({ ...singleContext(), contexts: [{ name: 'test', context: { user: 'test-user' } }] }),
      message: (path) => `kubeconfig ${path}: context "test" names cluster "", which is not defined`,
    },
    {
      name: 'undefined user',
      document: () => singleContext({ context: { user: 'nobody' } }),
      message: (path) => `kubeconfig ${path}: context "test" names user "nobody", which is not defined`,
    },
    {
      name: 'cluster without server',
      document: () => withCluster({}),
      message: (path) => `context "test" of kubeconfig ${path}: the cluster has no server`,
    },
    {
      name: 'proxy-url',
      document: () => withCluster({ server: SERVER, 'proxy-url': 'socks5://127.0.0.1:1080' }),
      message: (path) => `context "test" of kubeconfig ${path}: proxy-url is not supported; reach the API server directly or through a tunnel`,
    },
    {
      name: 'auth-provider',
      document: () => withUser({ 'auth-provider': { name: 'oidc' } }),
      message: (path) => `context "test" of kubeconfig ${path}: auth-provider "oidc" is not supported; use an exec credential plugin instead`,
    },
    {
      name: 'impersonation',
      document: () => withUser({ token: 'abc', as: 'admin' }),
      message: (path) => `context "test" of kubeconfig ${path}: impersonation (as) is not supported`,
    },
    {
      name: 'certificate without key',
      document: () => withUser({ 'client-certificate-data': base64(CERT_PEM) }),
      message: (path) => `context "test" of kubeconfig ${path}: a client certificate needs both client-certificate and client-key`,
    },
    {
      name: 'key without certificate',
      document: () => withUser({ 'client-key-data': base64(KEY_PEM) }),
      message: (path) => `context "test" of kubeconfig ${path}: a client certificate needs both client-certificate and client-key`,
    },
    {
      name: 'exec without command',
      document: () => withUser({ exec: { apiVersion: 'client.authentication.k8s.io/v1' } }),
      message: (path) => `context "test" of kubeconfig ${path}: exec has no command`,
    },
    {
      name: 'exec interactiveMode Always',
      document: () => withUser({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'token', interactiveMode: 'Always' } }),
      message: (path) =>
        `context "test" of kubeconfig ${path}: exec interactiveMode Always needs a terminal, which the operator does not have; use IfAvailable or Never`,
    },
  ];

  for (const { name, document, message } of cases) {
    it(`rejects ${name}`, () => {
      const { path, error } = loadError(document());
      expect(error).toBeInstanceOf(KubeconfigError);
      expect(error.message).toBe(message(path));
    });
  }

  it('rejects missing kubeconfig file', () => {
    const path = join(folder, 'missing');
    const error = thrownBy(() => loadClusterConnection(path, {}));
    expect(error).toBeInstanceOf(KubeconfigError);
    expect(error.message).toContain(`cannot read kubeconfig ${path}: ENOENT`);
  });

  it('rejects kubeconfig path to folder', () => {
    // A folder fails to read even as root, where file permissions would not.
    const path = join(folder, 'config.d');
    mkdirSync(path);
    const error = thrownBy(() => loadClusterConnection(path, {}));
    expect(error).toBeInstanceOf(KubeconfigError);
    expect(error.message).toContain(`cannot read kubeconfig ${path}: EISDIR`);
  });

  it('rejects missing certificate-authority file', () => {
    const { path, error } = loadError(withCluster({ server: SERVER, 'certificate-authority': 'ca.crt' }));
    expect(error).toBeInstanceOf(KubeconfigError);
    expect(error.message).toContain(`cannot read certificate-authority ${join(folder, 'ca.crt')} named in kubeconfig ${path}`);
  });

  it('rejects missing client-key file', () => {
    const { path, error } = loadError(withUser({ 'client-certificate-data': base64(CERT_PEM), 'client-key': 'client.key' }));
    expect(error).toBeInstanceOf(KubeconfigError);
    expect(error.message).toContain(`cannot read client-key ${join(folder, 'client.key')} named in kubeconfig ${path}`);
  });

  it('rejects invalid YAML', () => {
    const path = writeFile('config', 'clusters: [\n');
    const error = thrownBy(() => loadClusterConnection(path, {}));
    expect(error).toBeInstanceOf(KubeconfigError);
    expect(error.message).toContain(`kubeconfig ${path} is not valid YAML`);
  });

  it('rejects YAML list', () => {
    const path = writeFile('config', '- clusters\n- users\n');
    const error = thrownBy(() => loadClusterConnection(path, {}));
    expect(error).toBeInstanceOf(KubeconfigError);
    expect(error.message).toBe(`kubeconfig ${path} must be a mapping with clusters, users and contexts`);
  });

  it('rejects empty file', () => {
    const path = writeFile('config', '');
    const error = thrownBy(() => loadClusterConnection(path, {}));
    expect(error).toBeInstanceOf(KubeconfigError);
    expect(error.message).toContain(`kubeconfig ${path} has no current-context`);
  });
});
