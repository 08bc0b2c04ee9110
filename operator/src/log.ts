/**
 * The operator's winston logger: JSON lines in a cluster, short readable lines in a
 * terminal. Messages are constant strings; the data goes in fields.
 */
import winston from 'winston';

export type Logger = winston.Logger;
export type LogFormat = 'json' | 'text';

/** Field names whose values are never logged, whatever object carries them. */
const SECRET_KEYS = /token|password|secret|authorization|credential/i;

const redact = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (SECRET_KEYS.test(key)) info[key] = '[redacted]';
  }
  return info;
});

/** Puts an Error's message and its cause chain into plain fields, which JSON can carry. */
const errors = winston.format((info) => {
  const error = info.error;
  if (error instanceof Error) {
    const causes: string[] = [];
    let cause: unknown = error.cause;
    while (cause instanceof Error && causes.length < 5) {
      causes.push(cause.message);
      cause = cause.cause;
    }
    info.error = error.message;
    if (causes.length > 0) info.cause = causes.join(': ');
  }
  return info;
});

const text = winston.format.printf((info) => {
  const { level, message, timestamp, ...fields } = info;
  const rest = Object.entries(fields)
    .filter(([key]) => typeof key === 'string')
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return `${String(timestamp)} ${level.padEnd(5)} ${String(message)}${rest ? ` ${rest}` : ''}`;
});

export function createLogger(level: string, format: LogFormat): Logger {
  return winston.createLogger({
    level,
    format: winston.format.combine(
      errors(),
      redact(),
      winston.format.timestamp(),
      format === 'json' ? winston.format.json() : text,
    ),
    transports: [new winston.transports.Console({ stderrLevels: [] })],
  });
}

/** A logger for tests and library use that drops everything. */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console()] });
}
