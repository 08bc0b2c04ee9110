/**
 * Benchmark options from command-line flags and BENCH_* environment variables; a flag
 * wins over its variable. Invalid values stop the run with a message naming the option.
 */
import { readFileSync } from 'node:fs';
import { flagHelp, parseFlags } from '../operator/src/flags.ts';
import { DEFAULT_WORKERS } from '../operator/src/runtime/constants.ts';

export interface BenchOptions {
  /** Microservice counts to measure, in order. */
  sizes: number[];
  /** Repetitions of the floor and operator runs per size; undefined picks by size (see repeatsFor). */
  repeats: number | undefined;
  /** Operator workers, and the concurrency of the floor's applies. */
  workers: number;
  /** Length of the steady-state window, in seconds. */
  idleSeconds: number;
  /** Whether the operator runs with the mesh on; the floor renders its objects the same way. */
  mesh: boolean;
  /** Whether floor runs alternate with the operator runs; without them only the operator's own figures are measured. */
  floor: boolean;
  /** Whether each run changes every image after the create wave. */
  update: boolean;
  /** Concurrent requests the bench makes to create or patch the Microservices. */
  createConcurrency: number;
  /** Time limit of each wait for convergence, in seconds; undefined scales with the size. */
  timeoutSeconds: number | undefined;
  kubeconfig: string;
  /** Path of the JSON results file. */
  output: string;
  /** Extra arguments for every operator process. */
  operatorArgs: string[];
  /** Node.js flags for every operator process; by default those of the image's ENTRYPOINT. */
  nodeOptions: string[];
}

export class BenchOptionError extends Error {}

const OPTIONS = {
  n: { type: 'string', env: 'BENCH_N', help: 'Comma-separated Microservice counts; default 100,1000.' },
  repeats: { type: 'string', env: 'BENCH_REPEATS', help: 'Floor and operator runs per count; default 3 up to N=100, else 1.' },
  workers: { type: 'string', env: 'BENCH_WORKERS', help: `Operator workers and floor concurrency; default ${DEFAULT_WORKERS}, the operator's default.` },
  'idle-seconds': { type: 'string', env: 'BENCH_IDLE_SECONDS', help: 'Steady-state window in seconds; default 120.' },
  mesh: { type: 'string', env: 'BENCH_MESH', help: 'Render Istio objects: true or false; default false.' },
  floor: { type: 'string', env: 'BENCH_FLOOR', help: 'Run the floor beside the operator: true or false; default true.' },
  update: { type: 'string', env: 'BENCH_UPDATE', help: 'Run the update wave: true or false; default true.' },
  'create-concurrency': { type: 'string', env: 'BENCH_CREATE_CONCURRENCY', help: 'Parallel creates and patches of Microservices; default 32.' },
  'timeout-seconds': { type: 'string', env: 'BENCH_TIMEOUT_SECONDS', help: 'Limit of each convergence wait in seconds; default 120 + 0.5 per Microservice.' },
  kubeconfig: { type: 'string', env: 'BENCH_KUBECONFIG', help: 'Kubeconfig of the cluster; default .flywheel/kubeconfig.' },
  output: { type: 'string', env: 'BENCH_OUTPUT', help: 'JSON results file; default bench/results/latest.json.' },
  'operator-args': { type: 'string', env: 'BENCH_OPERATOR_ARGS', help: 'Space-separated extra arguments for the operator; default none.' },
  'node-options': { type: 'string', env: 'BENCH_NODE_OPTIONS', help: 'Space-separated Node.js flags for the operator process, such as --optimize-for-size; default: the flags of the Dockerfile ENTRYPOINT.' },
  help: { type: 'boolean', env: '', help: 'Print this help.' },
} as const;

type OptionName = keyof typeof OPTIONS;

export function helpText(): string {
  return flagHelp('node bench/run.ts [options]', OPTIONS, 20);
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv, repoRoot: string): BenchOptions | 'help' {
  const flags = parseFlags<OptionName>(argv, env, OPTIONS, (message) => new BenchOptionError(message));
  if (flags.help) return 'help';
  const value = flags.value;

  const sizes = (value('n') ?? '100,1000').split(',').map((entry) => entry.trim()).filter(Boolean);
  if (sizes.length === 0) throw new BenchOptionError('--n is empty; give counts such as 100,1000');
  const timeout = value('timeout-seconds');

  return {
    sizes: sizes.map((entry) => parseInteger('n', entry, 1, 20_000)),
    repeats: value('repeats') === undefined ? undefined : parseInteger('repeats', value('repeats'), 1, 20),
    workers: value('workers') === undefined ? DEFAULT_WORKERS : parseInteger('workers', value('workers'), 1, 64),
    idleSeconds: value('idle-seconds') === undefined ? 120 : parseInteger('idle-seconds', value('idle-seconds'), 0, 3600),
    mesh: parseBoolean('mesh', value('mesh') ?? 'false'),
    floor: parseBoolean('floor', value('floor') ?? 'true'),
    update: parseBoolean('update', value('update') ?? 'true'),
    createConcurrency: value('create-concurrency') === undefined ? 32 : parseInteger('create-concurrency', value('create-concurrency'), 1, 256),
    timeoutSeconds: timeout === undefined ? undefined : parseInteger('timeout-seconds', timeout, 10, 24 * 3600),
    kubeconfig: value('kubeconfig') ?? `${repoRoot}.flywheel/kubeconfig`,
    output: value('output') ?? `${repoRoot}bench/results/latest.json`,
    operatorArgs: (value('operator-args') ?? '').split(/\s+/).filter(Boolean),
    nodeOptions: value('node-options')?.split(/\s+/).filter(Boolean) ?? imageNodeFlags(repoRoot),
  };
}

/**
 * Returns the repetitions for one size. Larger sizes get one run by default, because one
 * floor and operator pair at N=1000 already takes about 20 minutes on the local control plane.
 */
export function repeatsFor(options: BenchOptions, size: number): number {
  if (options.repeats !== undefined) return options.repeats;
  return size <= 100 ? 3 : 1;
}

/** Limit of one convergence wait, in milliseconds. */
export function timeoutFor(options: BenchOptions, size: number): number {
  return (options.timeoutSeconds ?? 120 + Math.ceil(size * 0.5)) * 1000;
}

/**
 * Reads the Node.js flags that the operator image passes before its script, from an
 * exec-form line such as ENTRYPOINT ["node", "--optimize-for-size", "operator/src/cli/main.ts"],
 * so the benchmark runs the operator the way the image does.
 */
export function imageNodeFlags(repoRoot: string): string[] {
  let dockerfile: string;
  try {
    dockerfile = readFileSync(`${repoRoot}Dockerfile`, 'utf8');
  } catch {
    return [];
  }
  const line = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(dockerfile)?.[1];
  if (!line) return [];
  let words: unknown;
  try {
    words = JSON.parse(line);
  } catch {
    return [];
  }
  if (!Array.isArray(words) || words[0] !== 'node') return [];
  const flags: string[] = [];
  for (const word of words.slice(1)) {
    if (typeof word !== 'string' || !word.startsWith('-')) break;
    flags.push(word);
  }
  return flags;
}

function parseInteger(name: string, raw: string | undefined, min: number, max: number): number {
  const number = Number(raw);
  if (raw === undefined || raw.trim() === '' || !Number.isInteger(number) || number < min || number > max) {
    throw new BenchOptionError(`--${name} "${raw}" is invalid; use a whole number from ${min} to ${max}`);
  }
  return number;
}

function parseBoolean(name: string, raw: string): boolean {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new BenchOptionError(`--${name} "${raw}" is invalid; use true or false`);
}
