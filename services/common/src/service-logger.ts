import type { ServiceConfig } from './config.ts';
import { closeLogger, createLogger, type Logger } from './logger.ts';
import type { RunningService } from './server.ts';

/**
 * Runs `start` with `logger`, or with a logger created from `config` when `logger` is
 * undefined. A created logger belongs to the service: it is flushed and closed after the
 * server closes, or at once when `start` fails.
 */
export async function startWithLogger(
  name: string,
  config: ServiceConfig,
  logger: Logger | undefined,
  start: (logger: Logger) => Promise<RunningService>,
): Promise<RunningService> {
  if (logger !== undefined) {
    return start(logger);
  }

  const ownLogger = createLogger({
    service: name,
    version: config.version,
    level: config.logLevel,
    logDir: config.logDir,
  });
  let service: RunningService;
  try {
    service = await start(ownLogger);
  } catch (error) {
    await closeLogger(ownLogger);
    throw error;
  }

  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    await service.close();
    await closeLogger(ownLogger);
  };
  return {
    url: service.url,
    close: () => {
      closing ??= close();
      return closing;
    },
  };
}
