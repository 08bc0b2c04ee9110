import { mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';

import { runEksCommand } from '../../operator/src/cli/eks.ts';
import { decodeEksToken } from '../../operator/src/eks/token.ts';
import { captureIo, createTestCluster, MOTO_ACCOUNT_ID, TEST_REGION, TEST_ROLE_ARN, useMoto } from './moto.ts';

const env = useMoto();
const SHOP_ARN = `arn:aws:eks:${TEST_REGION}:${MOTO_ACCOUNT_ID}:cluster/shop`;

let fileCounter = 0;
function kubeconfigPath(): string {
  fileCounter += 1;
  return path.join(env.scratchDir, `kube-${fileCounter}`, 'config');
}

async function kubeconfig(...argv: string[]) {
  const output = captureIo();
  const code = await runEksCommand(['kubeconfig', ...argv], output.io);
  return { code, stdout: output.stdout.join(''), stderr: output.stderr.join('') };
}

describe('flywheel eks kubeconfig', () => {
  it('writes a new file with an exec user', async () => {
    await createTestCluster('shop');
    const file = kubeconfigPath();

    const result = await kubeconfig('--cluster', 'shop', '--kubeconfig', file);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Created ${file}`);
    const config = YAML.parse(await readFile(file, 'utf8'));
    expect(config['current-context']).toBe(SHOP_ARN);
    expect(config.clusters[0].cluster.server).toMatch(/^https:\/\//);
    expect(config.users[0].user.exec).toEqual({
      apiVersion: 'client.authentication.k8s.io/v1',
      command: 'flywheel',
      args: ['eks', 'token', '--cluster', 'shop', '--region', TEST_REGION],
      interactiveMode: 'Never',
    });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('merges into an existing file', async () => {
    await createTestCluster('shop');
    await createTestCluster('search');
    const file = kubeconfigPath();
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(
      file,
      'apiVersion: v1\nkind: Config\nclusters:\n- name: local\n  cluster:\n    server: https://127.0.0.1:6443\n' +
        'users:\n- name: local\n  user:\n    token: abc\ncontexts:\n- name: local\n  context:\n    cluster: local\n    user: local\n' +
        'current-context: local\n',
    );

    expect((await kubeconfig('--cluster', 'shop', '--kubeconfig', file, '--alias', 'shop')).code).toBe(0);
    const result = await kubeconfig('--cluster', 'search', '--kubeconfig', file);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Updated ${file}`);
    const config = YAML.parse(await readFile(file, 'utf8'));
    expect(config.contexts.map((c: { name: string }) => c.name)).toEqual([
      'local',
      'shop',
      `arn:aws:eks:${TEST_REGION}:${MOTO_ACCOUNT_ID}:cluster/search`,
    ]);
    expect(config.users[0]).toEqual({ name: 'local', user: { token: 'abc' } });
    expect(config['current-context']).toBe(`arn:aws:eks:${TEST_REGION}:${MOTO_ACCOUNT_ID}:cluster/search`);
  });

  it('replaces the same-named entry', async () => {
    await createTestCluster('shop');
    const file = kubeconfigPath();

    await kubeconfig('--cluster', 'shop', '--kubeconfig', file, '--alias', 'shop');
    const result = await kubeconfig('--cluster', 'shop', '--kubeconfig', file, '--alias', 'shop', '--role-arn', TEST_ROLE_ARN);

    expect(result.code).toBe(0);
    const config = YAML.parse(await readFile(file, 'utf8'));
    expect(config.clusters).toHaveLength(1);
    expect(config.users).toHaveLength(1);
    expect(config.contexts).toHaveLength(1);
    expect(config.users[0].user.exec.args).toEqual([
      'eks', 'token', '--cluster', 'shop', '--region', TEST_REGION, '--role-arn', TEST_ROLE_ARN,
    ]);
  });

  it('writes to the first KUBECONFIG path by default', async () => {
    await createTestCluster('shop');
    const file = kubeconfigPath();
    process.env.KUBECONFIG = [file, path.join(env.scratchDir, 'second')].join(path.delimiter);

    const result = await kubeconfig('--cluster', 'shop');

    expect(result.code).toBe(0);
    expect(YAML.parse(await readFile(file, 'utf8'))['current-context']).toBe(SHOP_ARN);
  });

  it('writes through a symbolic link', async () => {
    await createTestCluster('shop');
    const target = kubeconfigPath();
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, '');
    const link = path.join(path.dirname(target), 'link');
    await symlink(target, link);

    expect((await kubeconfig('--cluster', 'shop', '--kubeconfig', link)).code).toBe(0);

    expect((await stat(link)).isFile()).toBe(true);
    expect(YAML.parse(await readFile(target, 'utf8'))['current-context']).toBe(SHOP_ARN);
  });

  it('rejects a missing cluster and leaves the file alone', async () => {
    await createTestCluster('shop');
    const file = kubeconfigPath();

    const result = await kubeconfig('--cluster', 'shpo', '--kubeconfig', file);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`EKS cluster "shpo" not found in ${TEST_REGION}: clusters there are shop`);
    await expect(stat(file)).rejects.toThrow(/ENOENT/);
  });

  it('reports an unreadable path with the fix', async () => {
    await createTestCluster('shop');
    // A directory where the file should be fails even for root, which ignores permissions.
    const directory = path.join(env.scratchDir, 'a-directory');
    await mkdir(directory, { recursive: true });

    const result = await kubeconfig('--cluster', 'shop', '--kubeconfig', directory);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`reading kubeconfig ${directory} failed: check that it is a readable file`);
    expect(result.stderr).toContain('pass --kubeconfig with another path');
  });

  it('gives kubectl-style clients a working token', async () => {
    await createTestCluster('shop');
    const file = kubeconfigPath();
    await kubeconfig('--cluster', 'shop', '--kubeconfig', file);

    // A `flywheel` on PATH that runs this checkout's `flywheel eks`, as the main CLI will.
    const binDir = path.join(env.scratchDir, 'bin');
    await mkdir(binDir, { recursive: true });
    const runner = path.join(import.meta.dirname, 'run-eks-cli.ts');
    await writeFile(
      path.join(binDir, 'flywheel'),
      `#!/bin/sh\n[ "$1" = eks ] && shift\nexec "${process.execPath}" "${runner}" "$@"\n`,
      { mode: 0o755 },
    );
    process.env.PATH = `${binDir}${path.delimiter}${process.env.PATH ?? ''}`;

    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(file);
    const options: { headers?: Record<string, string> } = {};
    await kubeConfig.applyToHTTPSOptions(options);

    const token = options.headers?.Authorization?.replace(/^Bearer /, '') ?? '';
    const response = await fetch(decodeEksToken(token), { headers: { 'x-k8s-aws-id': 'shop' } });
    expect(response.status).toBe(200);
  });
});
