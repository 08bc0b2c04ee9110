import { accessSync, constants, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import winston from 'winston';
import type { LogLevel } from './config.ts';

export type Logger = winston.Logger;

export interface LoggerOptions {
  service: string;
  version: string;
  level: LogLevel;
  logDir: string | undefined;
}

/** File name inside FLYWHEEL_LOG_DIR that the log-shipping sidecar tails. */
export const LOG_FILE_NAME = 'app.log';

/**
 * Creates a JSON logger that writes to stdout and, when `logDir` is set, to `logDir/app.log`.
 *
 * The file is the contract with the Fluent Bit sidecar that tails this directory. The
 * logger opens it in append mode and never rotates it, because rotation belongs to whatever
 * owns the volume. The process keeps its file descriptor open, so that rotation must
 * truncate in place (logrotate's copytruncate). After a rename, this process would go on
 * writing to the renamed file.
 *
 * Throws the file system error when the directory cannot be created or is not writable.
 */
export function createLogger(options: LoggerOptions): Logger {
  const transports: winston.transport[] = [new winston.transports.Console()];

  if (options.logDir !== undefined) {
    // Checked here so that an unwritable volume stops start-up instead of failing on the
    // first log line, where winston would only emit an 'error' event.
    mkdirSync(options.logDir, { recursive: true });
    accessSync(options.logDir, constants.W_OK);
    transports.push(new winston.transports.File({ filename: join(options.logDir, LOG_FILE_NAME) }));
  }

  return winston.createLogger({
    level: options.level,
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors(), winston.format.json()),
    defaultMeta: { service: options.service, version: options.version },
    transports,
  });
}

/** Ends the logger and resolves once every transport, including the file, has flushed. */
export async function closeLogger(logger: Logger): Promise<void> {
  const flushed = logger.transports.map(
    (transport) => new Promise<void>((resolve) => transport.once('finish', () => resolve())),
  );
  logger.end();
  await Promise.all(flushed);
}

/** Returns the message and cause of an unknown thrown value, ready for a log field. */
export function describeError(error: unknown): { error: string; cause?: string } {
  if (!(error instanceof Error)) {
    return { error: String(error) };
  }
  if (error.cause instanceof Error) {
    return { error: error.message, cause: error.cause.message };
  }
  return { error: error.message };
}
