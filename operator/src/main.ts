/**
 * Operator entry point: `node operator/src/main.ts [options]`. Reads the configuration,
 * starts the informers and workers, and stops cleanly on SIGTERM or SIGINT.
 */
import { ConfigError, helpText, parseConfig } from './config.ts';
import { KubeClient } from './kube/client.ts';
import { createLogger } from './log.ts';
import { loadKubeConfig, Manager } from './manager.ts';

/** Time allowed for in-flight reconciles to finish after a stop signal. */
const SHUTDOWN_DEADLINE_MS = 25_000;

interface VersionInfo {
  major: string;
  minor: string;
}

export async function runOperator(argv: string[]): Promise<number> {
  let config;
  try {
    const parsed = parseConfig(argv, process.env, process.stderr.isTTY === true);
    if (parsed === 'help') {
      process.stdout.write(helpText());
      return 0;
    }
    config = parsed;
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`flywheel: ${error.message}\n`);
      return 2;
    }
    throw error;
  }

  const log = createLogger(config.logLevel, config.logFormat);
  const client = new KubeClient(loadKubeConfig(config.kubeconfig));
  if (!config.kubernetesVersion) {
    const version = await client.request<VersionInfo>('GET', '/version');
    config.platform.kubernetesVersion = `${version.major}.${version.minor.replace(/\D+$/, '')}`;
  }

  const manager = new Manager(config, log, client);
  await manager.preflight();
  log.info('starting', {
    namespaces: config.namespaces.length > 0 ? config.namespaces : 'all',
    workers: config.workers,
    mesh: config.platform.mesh.enabled,
    kubernetesVersion: config.platform.kubernetesVersion,
  });

  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info('stopping', { signal });
      const deadline = setTimeout(() => {
        log.warn('shutdown deadline passed, exiting with reconciles still running', { deadlineMs: SHUTDOWN_DEADLINE_MS });
        resolve();
      }, SHUTDOWN_DEADLINE_MS);
      deadline.unref();
      void manager.stop().then(() => {
        clearTimeout(deadline);
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });

  await manager.startInformers();
  log.info('caches synced');
  manager.startWorkers();

  await stopped;
  log.info('stopped');
  return 0;
}

if (import.meta.main) {
  runOperator(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`flywheel: ${error instanceof Error ? error.message : String(error)}\n`);
      if (error instanceof Error && error.cause instanceof Error) process.stderr.write(`  cause: ${error.cause.message}\n`);
      process.exit(1);
    },
  );
}
