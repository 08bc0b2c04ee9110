import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../operator/src/cli/main.ts';

const ENTRY = fileURLToPath(new URL('../../operator/src/cli/main.ts', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../examples/orders.yaml', import.meta.url));

async function run(...argv: string[]) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runCli(argv, { stdout: (text) => stdout.push(text), stderr: (text) => stderr.push(text) });
  return { code, stdout: stdout.join(''), stderr: stderr.join('') };
}

/** Runs the `flywheel` entry point as its own process, as npm's bin link or the image does. */
function runProcess(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [ENTRY, ...argv], { env: { ...process.env, KUBECONFIG: '/nonexistent' } }, (error, stdout, stderr) => {
      let code = 0;
      if (error) code = typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('flywheel command', () => {
  it.each(['operator', 'synth', 'release', 'eks'])('lists the %s command', async (command) => {
    const result = await run('--help');
    expect(result.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  });

  it('exits 2 without a command', async () => {
    const result = await run();
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Usage: flywheel COMMAND');
  });

  it('rejects an unknown command', async () => {
    const result = await run('deploy');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown command "deploy"');
  });

  it('rejects inherited object keys as commands', async () => {
    const result = await run('constructor');
    expect(result.code).toBe(2);
  });

  it('dispatches to eks', async () => {
    const result = await run('eks', '--help');
    expect(result.stdout).toContain('Usage: flywheel eks COMMAND');
  });

  it('dispatches to release', async () => {
    const result = await run('release', '--help');
    expect(result.stdout).toContain('Usage: flywheel release COMMAND NAME');
  });

  it('takes release commands without the word release', async () => {
    const result = await run('status');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('flywheel release');
  });

  it('dispatches to synth', async () => {
    const result = await run('synth', '--help');
    expect(result.stdout).toContain('Usage: flywheel synth');
  });
});

describe('flywheel entry point', () => {
  it('renders an example with synth', async () => {
    const result = await runProcess('synth', '-f', EXAMPLE);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('kind: Deployment');
  });

  it('prints operator help', async () => {
    const result = await runProcess('operator', '--help');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: flywheel operator');
  });

  it('exits 1 on invalid synth input', async () => {
    const result = await runProcess('synth', '-f', '/nonexistent.yaml');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('/nonexistent.yaml: not found');
  });
});
