/**
 * A real Prometheus for the canary tests, started from the binary that
 * hack/ensure-prometheus.sh installs, on 127.0.0.1 with a temporary storage directory.
 * Scrape targets come from a file_sd file, which Prometheus re-reads when it changes, so
 * a test can add a target once the revision label to give it is known.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile, rename } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, waitFor } from './harness.ts';

const execFileAsync = promisify(execFile);

/** One scrape target and the labels Prometheus attaches to its series. */
export interface ScrapeTarget {
  address: string;
  labels: Record<string, string>;
}

export interface PrometheusServer {
  url: string;
  /** Replaces the scrape targets; Prometheus picks the change up within a few seconds. */
  setTargets(targets: ScrapeTarget[]): Promise<void>;
  /** Runs an instant query and returns the result vector. */
  query(promql: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  stop(): Promise<void>;
}

/** Returns a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Attempts at starting Prometheus, each on a new free port. */
const START_ATTEMPTS = 3;

/** Installs Prometheus when missing and starts it with a 1 s scrape interval. */
export async function startPrometheus(): Promise<PrometheusServer> {
  const { stdout } = await execFileAsync('bash', [`${REPO_ROOT}hack/ensure-prometheus.sh`], { maxBuffer: 16 * 1024 * 1024 });
  const binary = stdout.trim().split('\n').pop() ?? 'prometheus';
  const directory = await mkdtemp(join(tmpdir(), 'flywheel-prometheus-'));
  const targetsFile = join(directory, 'targets.json');
  await writeFile(targetsFile, '[]');
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 900ms',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    '  - job_name: canary-e2e',
    '    file_sd_configs:',
    `      - files: ['${targetsFile}']`,
    '        refresh_interval: 1s',
    '',
  ].join('\n');
  await writeFile(join(directory, 'prometheus.yml'), config);

  const storage = join(directory, 'data');

  // freePort() closes its listener before Prometheus binds the port, so another process can
  // take the port in between. Prometheus then exits, or a server that is not this one
  // responds on the port, and the next attempt picks a new port.
  let started: { child: ChildProcess; exited: Promise<void>; url: string } | undefined;
  for (let attempt = 1; started === undefined; attempt += 1) {
    const port = await freePort();
    const child: ChildProcess = spawn(
      binary,
      [
        `--config.file=${join(directory, 'prometheus.yml')}`,
        `--storage.tsdb.path=${storage}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', process.env.FLYWHEEL_E2E_VERBOSE ? 'inherit' : 'ignore'] },
    );
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const url = `http://127.0.0.1:${port}`;
    if (await servesFrom(url, child, storage)) {
      started = { child, exited, url };
    } else {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      if (attempt >= START_ATTEMPTS) throw new Error(`Prometheus did not start on a free port in ${START_ATTEMPTS} attempts`);
    }
  }
  const { child, exited, url } = started;

  return {
    url,
    async setTargets(targets) {
      const groups = targets.map((target) => ({ targets: [target.address], labels: target.labels }));
      // Write then rename, so Prometheus never reads a half-written file.
      await writeFile(`${targetsFile}.tmp`, JSON.stringify(groups));
      await rename(`${targetsFile}.tmp`, targetsFile);
    },
    async query(promql) {
      const response = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: promql })}`);
      const body = (await response.json()) as { data?: { result?: Array<{ metric: Record<string, string>; value: [number, string] }> } };
      return body.data?.result ?? [];
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * Waits until the Prometheus at `url` is ready, and returns whether it is `child`, which
 * stores its data in `storage`. Returns false when `child` exits first.
 */
async function servesFrom(url: string, child: ChildProcess, storage: string): Promise<boolean> {
  return waitFor('Prometheus ready', async () => {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    const response = await fetch(`${url}/-/ready`);
    if (!response.ok) return undefined;
    const flags = (await (await fetch(`${url}/api/v1/status/flags`)).json()) as { data?: Record<string, string> };
    return flags.data?.['storage.tsdb.path'] === storage;
  }, 60_000);
}

/**
 * Sends GET requests to each URL at a fixed rate until `count` requests per URL have
 * been sent or stop() is called. Responses are not checked: the services count them.
 */
export function startLoad(urls: string[], ratePerSecond: number, count: number): { stop(): void } {
  let sent = 0;
  const timer = setInterval(() => {
    if (sent >= count) {
      clearInterval(timer);
      return;
    }
    sent += 1;
    for (const url of urls) void fetch(url).then((response) => response.arrayBuffer()).catch(() => undefined);
  }, 1000 / ratePerSecond);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
