import winston from 'winston';
import type { ServiceConfig } from './config.ts';
import { ConfigError } from './env.ts';
import { closeLogger, createLogger, describeError, type Logger } from './logger.ts';
import type { RunningService } from './server.ts';

export interface ServiceEntryPoint<C extends ServiceConfig> {
  name: string;
  /** Reads the configuration; throws ConfigError on invalid variables. */
  loadConfig(env: NodeJS.ProcessEnv): C;
  startServer(config: C, options: { logger: Logger }): Promise<RunningService>;
}

// Logs to stdout only, for errors raised before FLYWHEEL_LOG_DIR and LOG_LEVEL are known.
function createStartupLogger(service: string): Logger {
  return winston.createLogger({
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    defaultMeta: { service },
    transports: [new winston.transports.Console()],
  });
}

function loadConfigOrReport<C extends ServiceConfig>(entry: ServiceEntryPoint<C>): C | undefined {
  try {
    return entry.loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) {
      throw error;
    }
    const logger = createStartupLogger(entry.name);
    for (const issue of error.issues) {
      logger.error('invalid environment variable', issue);
    }
    return undefined;
  }
}

function createLoggerOrReport(name: string, config: ServiceConfig): Logger | undefined {
  try {
    return createLogger({ service: name, version: config.version, level: config.logLevel, logDir: config.logDir });
  } catch (error) {
    createStartupLogger(name).error('log directory is not writable', {
      variable: 'FLYWHEEL_LOG_DIR',
      path: config.logDir,
      ...describeError(error),
    });
    return undefined;
  }
}

/**
 * Runs a service as a process: reads the environment, starts the server and shuts it down
 * gracefully on SIGTERM or SIGINT, then exits 0. A second signal exits at once with 1.
 * Invalid configuration or a failed start exits 1 after logging the cause.
 */
export async function runService<C extends ServiceConfig>(entry: ServiceEntryPoint<C>): Promise<void> {
  const config = loadConfigOrReport(entry);
  if (config === undefined) {
    process.exitCode = 1;
    return;
  }

  const logger = createLoggerOrReport(entry.name, config);
  if (logger === undefined) {
    process.exitCode = 1;
    return;
  }

  // The handlers are installed in the same tick as the start call, before the listener is
  // bound, so a signal during start-up still ends in a graceful shutdown instead of Node's
  // default exit.
  const started = entry.startServer(config, { logger });
  let stopping = false;
  const onSignal = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) {
      logger.warn('second shutdown signal received, exiting immediately', { signal });
      process.exit(1);
    }
    stopping = true;
    logger.info('shutdown signal received', { signal });

    const service = await started.catch(() => undefined);
    if (service === undefined) {
      // The start-up failure below is logged and sets the exit code.
      return;
    }
    await service.close();
    await closeLogger(logger);

    // Ending the event loop instead of calling process.exit() lets buffered stdout reach
    // a piped reader. The unref'd timer only fires if some handle keeps the loop alive.
    process.exitCode = 0;
    setTimeout(() => process.exit(0), 1_000).unref();
  };
  process.on('SIGTERM', (signal) => {
    void onSignal(signal);
  });
  process.on('SIGINT', (signal) => {
    void onSignal(signal);
  });

  try {
    await started;
  } catch (error) {
    logger.error('server start failed', { host: config.host, port: config.port, ...describeError(error) });
    await closeLogger(logger);
    process.exitCode = 1;
  }
}
