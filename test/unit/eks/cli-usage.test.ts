import { describe, expect, it } from 'vitest';

import { runEksCommand } from '../../../operator/src/cli/eks.ts';

// Only command lines rejected before any AWS call; test/eks covers the rest against moto.
async function run(...argv: string[]) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runEksCommand(argv, { stdout: (s) => stdout.push(s), stderr: (s) => stderr.push(s) });
  return { code, stdout: stdout.join(''), stderr: stderr.join('') };
}

describe('runEksCommand usage', () => {
  it('prints the command list for --help', async () => {
    const result = await run('--help');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('kubeconfig');
    expect(result.stdout).toContain('token');
    expect(result.stdout).toContain('irsa');
  });

  it.each(['kubeconfig', 'token', 'irsa'])('prints %s options for --help', async (command) => {
    const result = await run(command, '--help');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--cluster NAME');
    expect(result.stdout).toContain('--region REGION');
    expect(result.stdout).toContain('--role-arn ARN');
  });

  it('exits 2 without a command', async () => {
    const result = await run();
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Usage: flywheel eks COMMAND');
  });

  it('rejects an unknown command', async () => {
    const result = await run('nodegroups');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown command "nodegroups"');
  });

  it('rejects an unknown option', async () => {
    const result = await run('token', '--cluster', 'demo', '--profile', 'x');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--profile");
    expect(result.stderr).toContain("run 'flywheel eks token --help'");
  });

  it('requires --cluster', async () => {
    const result = await run('token', '--region', 'eu-west-1');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('missing required option --cluster');
  });

  it('rejects an invalid cluster name', async () => {
    const result = await run('token', '--cluster', 'no spaces');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('invalid EKS cluster name "no spaces"');
  });

  it('rejects an invalid region', async () => {
    const result = await run('token', '--cluster', 'demo', '--region', 'Europe');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('invalid AWS region "Europe"');
  });

  it('rejects an invalid role ARN', async () => {
    const result = await run('token', '--cluster', 'demo', '--region', 'eu-west-1', '--role-arn', 'admin');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('invalid role ARN "admin"');
  });

  it('requires --namespace for irsa', async () => {
    const result = await run('irsa', '--cluster', 'demo', '--service-account', 'cart');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('missing required option --namespace');
  });

  it('rejects an invalid service account for irsa', async () => {
    const result = await run('irsa', '--cluster', 'demo', '--namespace', 'shop', '--service-account', 'Cart');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('invalid service account name "Cart"');
  });
});
