/**
 * An operator started from source as a child process, as a user would run it, with
 * bench/probe.ts preloaded so the benchmark can read its request counters over IPC.
 * CPU time and peak memory come from /proc, so this module works on Linux only.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** Time allowed for the operator to return one metrics response over IPC. */
const METRICS_TIMEOUT_MS = 10_000;
/** Time allowed for the operator to exit after SIGTERM before it is killed. */
const STOP_TIMEOUT_MS = 30_000;
/** Warning and error log lines kept for the report, so a failing run shows its cause. */
const KEPT_PROBLEMS = 20;

export interface OperatorStart {
  repoRoot: string;
  kubeconfig: string;
  namespace: string;
  workers: number;
  mesh: boolean;
  logLevel: 'info' | 'debug';
  extraArgs: string[];
  /** Node.js flags placed before the script, such as --max-old-space-size=256. */
  nodeOptions: string[];
}

/** Counters read from the operator's Prometheus registry. */
export interface OperatorCounters {
  /** rest_client_requests_total summed over status codes, by HTTP method. */
  requests: Record<string, number>;
  /** controller_runtime_reconcile_total summed over results. */
  reconciles: number;
}

interface MetricJson {
  name: string;
  values: Array<{ value: number; labels: Record<string, string | number> }>;
}

export const WRITE_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'];

export const writesOf = (requests: Record<string, number>): number =>
  WRITE_METHODS.reduce((sum, method) => sum + (requests[method] ?? 0), 0);

/** Per-method difference of two request counts. */
export function requestDelta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const method of new Set([...Object.keys(after), ...Object.keys(before)])) {
    const value = (after[method] ?? 0) - (before[method] ?? 0);
    if (value !== 0) delta[method] = value;
  }
  return delta;
}

/**
 * Flags that keep a benchmark operator off shared ports and out of leader election,
 * for those of them this operator build has (read from its --help). Benchmark operators
 * watch only their own namespace, so several may run at once without a Lease.
 */
const ISOLATION_FLAGS: Array<[flag: string, value: string]> = [
  ['--metrics-bind-address', '0'],
  ['--health-probe-bind-address', '0'],
  ['--leader-elect', 'false'],
];

export function isolationArgs(repoRoot: string): string[] {
  const help = execFileSync(process.execPath, [`${repoRoot}operator/src/main.ts`, '--help'], { encoding: 'utf8' });
  return ISOLATION_FLAGS.filter(([flag]) => new RegExp(`^\\s*${flag}\\s`, 'm').test(help)).flat();
}

let clockTicks: number | undefined;

/** Clock ticks per second of /proc/<pid>/stat times, from getconf; 100 on every common Linux. */
function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

export class OperatorProcess {
  /** Processes not yet stopped, so an interrupted benchmark can stop them on its way out. */
  static readonly live = new Set<OperatorProcess>();
  readonly child: ChildProcess;
  /** performance.now() when the process was spawned. */
  readonly startedAt: number;
  /** performance.now() of the 'caches synced' log line, once seen. */
  cachesSyncedAt: number | undefined;
  /** Distinct "namespace/name" keys from 'reconciled' debug lines, with the time each first appeared. */
  readonly reconciledKeys = new Map<string, number>();
  readonly problems: string[] = [];
  problemCount = 0;
  private readonly exited: Promise<number | null>;
  private readonly pending = new Map<number, (value: MetricJson[] | Error) => void>();
  private readonly keyWaiters: Array<{ count: number; resolve: () => void }> = [];
  private nextId = 1;

  constructor(start: OperatorStart) {
    const args = [
      ...start.nodeOptions,
      '--import',
      `${start.repoRoot}bench/probe.ts`,
      `${start.repoRoot}operator/src/main.ts`,
      '--kubeconfig',
      start.kubeconfig,
      '--namespaces',
      start.namespace,
      '--workers',
      String(start.workers),
      '--mesh',
      String(start.mesh),
      '--log-format',
      'json',
      '--log-level',
      start.logLevel,
      ...start.extraArgs,
    ];
    this.startedAt = performance.now();
    this.child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], cwd: start.repoRoot });
    OperatorProcess.live.add(this);
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code) => {
        OperatorProcess.live.delete(this);
        resolve(code);
      }),
    );
    this.child.on('message', (message: { type?: string; id?: number; metrics?: MetricJson[]; error?: string }) => {
      if (message.type !== 'metrics' || message.id === undefined) return;
      const resolve = this.pending.get(message.id);
      this.pending.delete(message.id);
      resolve?.(message.metrics ?? new Error(`operator failed to collect metrics: ${message.error}`));
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (stream) createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => this.onLine(line));
    }
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('operator process has no pid; it failed to spawn');
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves once the operator logged 'caches synced'; rejects if it exits first or times out. */
  async waitForCacheSync(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (this.cachesSyncedAt === undefined) {
      if (!this.running) throw new Error(`operator exited with code ${this.child.exitCode} before its caches synced; ${this.describeProblems()}`);
      if (performance.now() > deadline) throw new Error(`operator caches not synced after ${timeoutMs} ms; ${this.describeProblems()}`);
      await sleep(50);
    }
  }

  /** Resolves once `count` distinct keys were reconciled; needs --log-level debug. */
  waitForReconciledKeys(count: number): Promise<void> {
    if (this.reconciledKeys.size >= count) return Promise.resolve();
    return new Promise((resolve) => this.keyWaiters.push({ count, resolve }));
  }

  async counters(): Promise<OperatorCounters> {
    const metrics = await this.metrics();
    const requests: Record<string, number> = {};
    let reconciles = 0;
    for (const metric of metrics) {
      if (metric.name === 'rest_client_requests_total') {
        for (const { value, labels } of metric.values) {
          const method = String(labels.method);
          requests[method] = (requests[method] ?? 0) + value;
        }
      } else if (metric.name === 'controller_runtime_reconcile_total') {
        for (const { value } of metric.values) reconciles += value;
      }
    }
    return { requests, reconciles };
  }

  /** User plus system CPU time of the process so far, in seconds. */
  cpuSeconds(): number {
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    // Fields after the parenthesised command name, which may itself contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond();
  }

  /** Peak resident set size (VmHWM) so far, in MiB. */
  peakRssMiB(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
    if (!match?.[1]) throw new Error(`VmHWM missing from /proc/${this.pid}/status; is this Linux?`);
    return Number(match[1]) / 1024;
  }

  describeProblems(): string {
    if (this.problemCount === 0) return 'it logged no warnings or errors';
    return `it logged ${this.problemCount} warnings or errors, the first: ${this.problems.slice(0, 3).join(' | ')}`;
  }

  /** Sends SIGTERM and waits for the exit; kills the process if it outlives STOP_TIMEOUT_MS. */
  async stop(): Promise<number | null> {
    if (this.running) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  private metrics(): Promise<MetricJson[]> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`operator sent no metrics response within ${METRICS_TIMEOUT_MS} ms; was bench/probe.ts preloaded?`));
      }, METRICS_TIMEOUT_MS);
      this.pending.set(id, (value) => {
        clearTimeout(timer);
        if (value instanceof Error) reject(value);
        else resolve(value);
      });
      this.child.send({ type: 'metrics', id }, (error) => {
        if (!error) return;
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new Error('failed to send a metrics request to the operator', { cause: error }));
      });
    });
  }

  private onLine(line: string): void {
    let entry: { level?: string; message?: string; namespace?: string; name?: string };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      entry = { level: 'error', message: line };
    }
    if (entry.message === 'caches synced' && this.cachesSyncedAt === undefined) this.cachesSyncedAt = performance.now();
    if (entry.message === 'reconciled' && entry.namespace && entry.name) this.recordReconciled(`${entry.namespace}/${entry.name}`);
    if (entry.level === 'warn' || entry.level === 'error') {
      this.problemCount += 1;
      if (this.problems.length < KEPT_PROBLEMS) this.problems.push(line.slice(0, 400));
    }
  }

  private recordReconciled(key: string): void {
    if (this.reconciledKeys.has(key)) return;
    this.reconciledKeys.set(key, performance.now());
    for (let index = this.keyWaiters.length - 1; index >= 0; index -= 1) {
      const waiter = this.keyWaiters[index];
      if (waiter && this.reconciledKeys.size >= waiter.count) {
        this.keyWaiters.splice(index, 1);
        waiter.resolve();
      }
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
