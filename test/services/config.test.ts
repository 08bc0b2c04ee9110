import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ConfigError, type ConfigIssue } from '../../services/common/src/env.ts';
import { loadInventoryConfig } from '../../services/inventory/src/config.ts';
import { loadOrdersConfig } from '../../services/orders/src/config.ts';

const REPO_ROOT = new URL('../../', import.meta.url);
const VALID_ORDERS_ENV = { INVENTORY_URL: 'http://inventory.shop.svc.cluster.local' };

function configIssues(load: () => unknown): readonly ConfigIssue[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) {
      return error.issues;
    }
    throw error;
  }
  throw new Error('configuration was accepted');
}

/** Runs a service's main.ts to completion and returns its exit code and parsed stdout lines. */
function runMain(
  name: string,
  env: Record<string, string>,
): { status: number | null; lines: Record<string, unknown>[] } {
  const result = spawnSync(process.execPath, [`services/${name}/src/main.ts`], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', ...env },
    encoding: 'utf8',
    // Start-up takes seconds when the e2e suite loads the machine. The test timeout is 30 s.
    timeout: 25_000,
  });
  const lines = result.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { status: result.status, lines };
}

describe('service configuration', () => {
  it('applies defaults for unset variables', () => {
    const config = loadOrdersConfig(VALID_ORDERS_ENV);

    expect(config.host).toBe('0.0.0.0');
    expect(config.port).toBe(8080);
    expect(config.version).toBe('dev');
    expect(config.revision).toBe('unknown');
    expect(config.logLevel).toBe('info');
    expect(config.logDir).toBeUndefined();
    expect(config.shutdownDelayMs).toBe(5_000);
    expect(config.shutdownTimeoutMs).toBe(10_000);
    expect(config.downstreamTimeoutMs).toBe(1_000);
    expect(config.faults).toEqual({ latencyMs: 0, latencyJitterMs: 0, errorRate: 0 });
    expect(config.inventoryUrl.href).toBe('http://inventory.shop.svc.cluster.local/');
  });

  it('reads every variable', () => {
    const config = loadOrdersConfig({
      ...VALID_ORDERS_ENV,
      HOST: '127.0.0.1',
      PORT: '9090',
      VERSION: '0.2.0',
      REVISION: 'abc123',
      LOG_LEVEL: 'debug',
      FLYWHEEL_LOG_DIR: '/var/log/app',
      SHUTDOWN_DELAY_MS: '0',
      SHUTDOWN_TIMEOUT_MS: '2500',
      DOWNSTREAM_TIMEOUT_MS: '250',
      FAULT_LATENCY_MS: '40',
      FAULT_LATENCY_JITTER_MS: '10',
      FAULT_ERROR_RATE: '0.25',
    });

    expect(config.host).toBe('127.0.0.1');
    expect(config.port).toBe(9090);
    expect(config.version).toBe('0.2.0');
    expect(config.revision).toBe('abc123');
    expect(config.logLevel).toBe('debug');
    expect(config.logDir).toBe('/var/log/app');
    expect(config.shutdownDelayMs).toBe(0);
    expect(config.shutdownTimeoutMs).toBe(2_500);
    expect(config.downstreamTimeoutMs).toBe(250);
    expect(config.faults).toEqual({ latencyMs: 40, latencyJitterMs: 10, errorRate: 0.25 });
  });

  it('treats empty values as unset', () => {
    const config = loadInventoryConfig({ PORT: '', FAULT_ERROR_RATE: ' ' });

    expect(config.port).toBe(8080);
    expect(config.faults.errorRate).toBe(0);
  });

  it.each([
    { variable: 'PORT', value: 'http', expected: 'an integer from 0 to 65535' },
    { variable: 'PORT', value: '65536', expected: 'an integer from 0 to 65535' },
    { variable: 'PORT', value: '80.5', expected: 'an integer from 0 to 65535' },
    { variable: 'PORT', value: '-1', expected: 'an integer from 0 to 65535' },
    { variable: 'FAULT_ERROR_RATE', value: '1.5', expected: 'a number from 0 to 1' },
    { variable: 'FAULT_ERROR_RATE', value: '-0.1', expected: 'a number from 0 to 1' },
    { variable: 'FAULT_ERROR_RATE', value: '10%', expected: 'a number from 0 to 1' },
    { variable: 'FAULT_LATENCY_MS', value: '1s', expected: 'an integer from 0 to 60000' },
    { variable: 'FAULT_LATENCY_JITTER_MS', value: '60001', expected: 'an integer from 0 to 60000' },
    { variable: 'DOWNSTREAM_TIMEOUT_MS', value: '0', expected: 'an integer from 1 to 60000' },
    { variable: 'SHUTDOWN_TIMEOUT_MS', value: 'forever', expected: 'an integer from 0 to 300000' },
    { variable: 'SHUTDOWN_DELAY_MS', value: '1e3', expected: 'an integer from 0 to 60000' },
    { variable: 'LOG_LEVEL', value: 'loud', expected: 'one of error, warn, info, http, verbose, debug, silly' },
  ])('rejects $variable=$value', ({ variable, value, expected }) => {
    const issues = configIssues(() => loadOrdersConfig({ ...VALID_ORDERS_ENV, [variable]: value }));

    expect(issues).toEqual([{ variable, value, expected }]);
  });

  it.each([
    { name: 'missing', env: {}, expected: 'an http or https URL (required)' },
    { name: 'not a URL', env: { INVENTORY_URL: 'inventory:80' }, expected: 'an http or https URL' },
    { name: 'another scheme', env: { INVENTORY_URL: 'ftp://inventory' }, expected: 'an http or https URL' },
  ])('rejects INVENTORY_URL $name', ({ env, expected }) => {
    const issues = configIssues(() => loadOrdersConfig(env));

    expect(issues).toEqual([{ variable: 'INVENTORY_URL', expected }]);
  });

  it('never echoes the INVENTORY_URL value', () => {
    const issues = configIssues(() => loadOrdersConfig({ INVENTORY_URL: 'ftp://user:secret@inventory' }));

    expect(issues[0]?.value).toBeUndefined();
    expect(JSON.stringify(issues)).not.toContain('secret');
  });

  it('reports every invalid variable at once', () => {
    const issues = configIssues(() => loadOrdersConfig({ PORT: 'x', FAULT_ERROR_RATE: '2' }));

    expect(issues.map((issue) => issue.variable)).toEqual(['PORT', 'FAULT_ERROR_RATE', 'INVENTORY_URL']);
  });
});

describe('service start-up', () => {
  it('exits 1 and names invalid variables', () => {
    const result = runMain('orders', { PORT: 'eighty', FAULT_ERROR_RATE: '3' });

    expect(result.status).toBe(1);
    const errors = result.lines.filter((line) => line.message === 'invalid environment variable');
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatchObject({
      level: 'error',
      variable: 'PORT',
      value: 'eighty',
      expected: 'an integer from 0 to 65535',
    });
    expect(errors[1]).toMatchObject({ variable: 'FAULT_ERROR_RATE', value: '3', expected: 'a number from 0 to 1' });
    expect(errors[2]).toMatchObject({ variable: 'INVENTORY_URL', expected: 'an http or https URL (required)' });
    expect(result.lines.some((line) => line.message === 'server listening')).toBe(false);
  });

  it('exits 1 when the log directory is unusable', () => {
    // A directory cannot be created below a regular file, whichever user runs the test.
    const logDir = new URL('package.json/logs', REPO_ROOT).pathname;
    const result = runMain('inventory', { PORT: '0', FLYWHEEL_LOG_DIR: logDir });

    expect(result.status).toBe(1);
    const error = result.lines.find((line) => line.message === 'log directory is not writable');
    expect(error).toMatchObject({ level: 'error', variable: 'FLYWHEEL_LOG_DIR', path: logDir });
    expect(error?.error).toMatch(/ENOTDIR/);
  });

  it('exits 1 when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const address = blocker.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;

      const result = runMain('inventory', { PORT: String(port) });

      expect(result.status).toBe(1);
      const error = result.lines.find((line) => line.message === 'server start failed');
      expect(error).toMatchObject({ level: 'error', port });
      expect(error?.error).toMatch(/EADDRINUSE/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
