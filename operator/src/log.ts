/**
 * The operator's winston logger: JSON lines in a cluster, short readable lines in a
 * terminal. Messages are constant strings; the data goes in fields. Secret values are
 * redacted, and a warning or error that repeats with the same key is rate-limited.
 */
import type { Writable } from 'node:stream';
import winston from 'winston';
import { LOG_REPEAT_WINDOW_MS } from './runtime/constants.ts';

export type Logger = winston.Logger;
export type LogFormat = 'json' | 'text';

export interface LoggerOptions {
  /** Destination of the log lines; default: stdout through winston's Console transport. */
  stream?: Writable;
  /** Window of the repeat limit in milliseconds; 0 logs every repeat. @default LOG_REPEAT_WINDOW_MS */
  repeatWindowMs?: number;
  /** Clock of the repeat limit, in milliseconds; tests replace it. */
  now?: () => number;
}

/** Field names whose values are never logged, at any depth of the logged fields. */
const SECRET_KEYS = /token|password|secret|authorization|credential|private.?key/i;
/** Secrets that can hide inside strings such as error messages: bearer tokens and JWTs. */
const SECRET_TEXT = [/\b(Bearer\s+)[^\s"',;]+/gi, /\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]*/g];
const REDACTED = '[redacted]';
const MAX_DEPTH = 6;
/** Field values that make up a repeat key, besides the level and the message. */
const REPEAT_KEY_FIELDS = ['controller', 'namespace', 'name', 'kind', 'object', 'lease', 'step', 'error', 'cause'];
/** Bound of the repeat limit's memory; the oldest keys are forgotten first. */
const MAX_REPEAT_KEYS = 4096;
/** Fields that winston itself keeps on the info object. */
const WINSTON_FIELDS = new Set(['level', 'message', 'timestamp', 'splat']);

/** Replaces bearer tokens and JWTs inside a string. */
export function scrubText(text: string): string {
  let result = text;
  for (const pattern of SECRET_TEXT) {
    result = result.replace(pattern, (_match, prefix: unknown) => (typeof prefix === 'string' ? `${prefix}${REDACTED}` : REDACTED));
  }
  return result;
}

/** Returns a copy of `value` with secret-named fields replaced and secrets in strings scrubbed. */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object' || value instanceof Error) return value;
  if (depth >= MAX_DEPTH) return '[nested too deep]';
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    copy[key] = SECRET_KEYS.test(key) ? REDACTED : redactValue(item, depth + 1);
  }
  return copy;
}

const redact = winston.format((info) => {
  info.message = scrubText(String(info.message));
  for (const key of Object.keys(info)) {
    if (WINSTON_FIELDS.has(key)) continue;
    info[key] = SECRET_KEYS.test(key) ? REDACTED : redactValue(info[key]);
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

/**
 * Drops a warning or error that repeats one logged less than `windowMs` ago with the same
 * level, message and key fields (REPEAT_KEY_FIELDS). The next line logged for that key
 * carries `suppressed`, the number of lines dropped since the previous one. A key that
 * stops repeating reports no final count.
 */
function repeatLimit(windowMs: number, now: () => number) {
  const recent = new Map<string, { loggedAt: number; suppressed: number }>();
  return winston.format((info) => {
    if (windowMs <= 0 || (info.level !== 'warn' && info.level !== 'error')) return info;
    const key = [info.level, info.message, ...REPEAT_KEY_FIELDS.map((field) => String(info[field] ?? ''))].join('\u0000');
    const at = now();
    const entry = recent.get(key);
    if (entry && at - entry.loggedAt < windowMs) {
      entry.suppressed += 1;
      return false;
    }
    if (entry && entry.suppressed > 0) info.suppressed = entry.suppressed;
    recent.delete(key);
    recent.set(key, { loggedAt: at, suppressed: 0 });
    if (recent.size > MAX_REPEAT_KEYS) {
      const oldest = recent.keys().next().value;
      if (oldest !== undefined) recent.delete(oldest);
    }
    return info;
  })();
}

const text = winston.format.printf((info) => {
  const { level, message, timestamp, ...fields } = info;
  const rest = Object.entries(fields)
    .filter(([key]) => typeof key === 'string')
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return `${String(timestamp)} ${level.padEnd(5)} ${String(message)}${rest ? ` ${rest}` : ''}`;
});

export function createLogger(level: string, format: LogFormat, options: LoggerOptions = {}): Logger {
  const transport = options.stream
    ? new winston.transports.Stream({ stream: options.stream })
    : new winston.transports.Console({ stderrLevels: [] });
  return winston.createLogger({
    level,
    format: winston.format.combine(
      errors(),
      redact(),
      repeatLimit(options.repeatWindowMs ?? LOG_REPEAT_WINDOW_MS, options.now ?? Date.now),
      winston.format.timestamp(),
      format === 'json' ? winston.format.json() : text,
    ),
    transports: [transport],
  });
}

/** Creates a logger for tests and library use that drops everything. */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console()] });
}
