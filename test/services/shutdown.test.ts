import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, readLogLines, requestJson, sampleValue, scrapeMetrics, startInventory, waitFor } from './helpers.ts';

afterEach(closeAll);

const REPO_ROOT = new URL('../../', import.meta.url);

/** Waits until the server has started the injected delay for one business request. */
function waitForLatencyInjection(baseUrl: string): Promise<true> {
  return waitFor(async () => {
    const metrics = await scrapeMetrics(baseUrl);
    return sampleValue(metrics, 'fault_injections_total', { kind: 'latency' }) === 1 ? true : undefined;
  });
}

describe('graceful shutdown in process', () => {
  it('turns readiness 503 and finishes in-flight requests', async () => {
    const inventory = await startInventory({
      // Long enough that the readiness and liveness requests below land inside the delay
      // on a busy machine, where the e2e suite runs alongside.
      shutdownDelayMs: 3_000,
      faults: { latencyMs: 3_200, latencyJitterMs: 0, errorRate: 0 },
    });
    expect((await requestJson(`${inventory.url}/readyz`)).status).toBe(200);

    const inFlight = requestJson(`${inventory.url}/stock/widget`);
    await waitForLatencyInjection(inventory.url);
    const closed = inventory.close();

    const readiness = await requestJson(`${inventory.url}/readyz`);
    expect(readiness.status).toBe(503);
    expect(readiness.body).toEqual({ status: 'shutting down' });
    const liveness = await requestJson(`${inventory.url}/healthz`);
    expect(liveness.status).toBe(200);

    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ sku: 'widget', available: 120 });

    await closed;
    await expect(fetch(`${inventory.url}/healthz`)).rejects.toThrow();
  });

  it('finishes requests that outlast the listener', async () => {
    const inventory = await startInventory({
      shutdownDelayMs: 0,
      faults: { latencyMs: 400, latencyJitterMs: 0, errorRate: 0 },
    });

    const inFlight = requestJson(`${inventory.url}/stock/gadget`);
    await waitForLatencyInjection(inventory.url);
    const closed = inventory.close();
    await sleep(50);

    // The listener is closed by now, so new connections fail while the old request runs on.
    await expect(fetch(`${inventory.url}/healthz`)).rejects.toThrow();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ sku: 'gadget', available: 8 });
    await closed;
  });

  it('drops requests after the timeout', async () => {
    const inventory = await startInventory({
      shutdownDelayMs: 0,
      shutdownTimeoutMs: 200,
      faults: { latencyMs: 5_000, latencyJitterMs: 0, errorRate: 0 },
    });

    const inFlight = fetch(`${inventory.url}/stock/widget`);
    await waitForLatencyInjection(inventory.url);
    await inventory.close();

    await expect(inFlight).rejects.toThrow();
  });

  it('returns the same promise on repeated close', async () => {
    const inventory = await startInventory();

    const first = inventory.close();
    const second = inventory.close();

    expect(second).toBe(first);
    await first;
  });
});

interface ServiceProcess {
  child: ChildProcess;
  url: string;
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
}

/** Starts `node services/<name>/src/main.ts` and resolves once it logs its URL. */
async function spawnService(name: string, env: Record<string, string>): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [`services/${name}/src/main.ts`], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // 'close' comes after the last stdout line was read, but 'exit' may come before.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const lines: Record<string, unknown>[] = [];
  let resolveUrl: (url: string) => void = () => {};
  const url = new Promise<string>((resolve) => {
    resolveUrl = resolve;
  });

  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (text) => {
    const line = JSON.parse(text) as Record<string, unknown>;
    lines.push(line);
    if (line.message === 'server listening') {
      resolveUrl(String(line.url));
    }
  });

  const started = await Promise.race([url, exited.then(() => undefined)]);
  if (started === undefined) {
    throw new Error('service exited before listening');
  }
  return { child, url: started, lines, exited };
}

describe('graceful shutdown as a process', () => {
  let running: ChildProcess | undefined;
  afterEach(() => {
    if (running?.exitCode === null) {
      running.kill('SIGKILL');
    }
  });

  it('exits 0 after SIGTERM with requests finished', async () => {
    const logDir = await mkdtemp(join(tmpdir(), 'inventory-log-'));
    try {
      const service = await spawnService('inventory', {
        // The readiness request below must land inside the delay, after the test has read
        // the 'shutdown started' line from the pipe.
        SHUTDOWN_DELAY_MS: '3000',
        FAULT_LATENCY_MS: '3200',
        FLYWHEEL_LOG_DIR: logDir,
      });
      running = service.child;

      const inFlight = requestJson(`${service.url}/stock/widget`);
      await waitForLatencyInjection(service.url);
      service.child.kill('SIGTERM');
      await waitFor(async () => (service.lines.some((line) => line.message === 'shutdown started') ? true : undefined));

      const readiness = await requestJson(`${service.url}/readyz`);
      expect(readiness.status).toBe(503);
      const response = await inFlight;
      expect(response.status).toBe(200);
      expect(await service.exited).toBe(0);

      const messages = service.lines.map((line) => line.message);
      expect(messages).toContain('shutdown signal received');
      expect(messages).toContain('server stopped');
      const fileMessages = (await readLogLines(logDir)).map((line) => line.message);
      expect(fileMessages).toEqual(messages);
    } finally {
      await rm(logDir, { recursive: true, force: true });
    }
  });

  it('exits 0 after SIGINT', async () => {
    const service = await spawnService('orders', {
      SHUTDOWN_DELAY_MS: '0',
      INVENTORY_URL: 'http://127.0.0.1:9',
    });
    running = service.child;

    service.child.kill('SIGINT');

    expect(await service.exited).toBe(0);
    const signalLine = service.lines.find((line) => line.message === 'shutdown signal received');
    expect(signalLine?.signal).toBe('SIGINT');
  });
});
