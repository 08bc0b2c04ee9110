#!/usr/bin/env node
/**
 * kubectl plugin: on PATH as `kubectl-flywheel`, it makes `kubectl flywheel status NAME`
 * and the other release commands work. kubectl hands a plugin only the arguments after
 * its name, so -n and --kubeconfig go after `flywheel`, as in `flywheel release`.
 */
import { runReleaseCommand } from './release.ts';

const argv = process.argv.slice(2);
// `kubectl flywheel release status NAME` and `kubectl flywheel status NAME` mean the same.
const releaseArgv = argv[0] === 'release' ? argv.slice(1) : argv;

const interrupt = new AbortController();
process.once('SIGINT', () => interrupt.abort());

runReleaseCommand(
  releaseArgv,
  { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) },
  { signal: interrupt.signal, clearScreen: process.stdout.isTTY === true },
).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`kubectl flywheel: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
