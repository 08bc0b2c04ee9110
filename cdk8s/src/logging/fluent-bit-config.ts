/**
 * The Fluent Bit configuration of the sidecar, written in Fluent Bit's classic format
 * (sections in brackets, indented key-value entries) for Fluent Bit 1.9, the version in
 * the pinned aws-for-fluent-bit image. Option names follow the Fluent Bit manual pages of
 * the tail input, the record_modifier filter, the cloudwatch_logs output, parsers,
 * buffering and storage, and scheduling and retries.
 */
import { createHash } from 'node:crypto';
import type { LogParser } from '../api/logging.ts';
import {
  APP_CONTAINER_ENV,
  BUFFER_CHUNK_SIZE,
  BUFFER_MAX_SIZE,
  BUFFER_PATH,
  BUFFER_TOTAL_LIMIT,
  CONFIG_DIR,
  CONFIG_FILE,
  FLUSH_INTERVAL_SECONDS,
  JSON_PARSER,
  LOG_DIR,
  LOG_FILE_GLOB,
  LOG_TAG,
  MAX_CHUNKS_UP,
  MAX_FLUENT_BIT_GRACE_SECONDS,
  MEM_BUF_LIMIT,
  MICROSERVICE_ENV,
  PARSERS_FILE,
  POD_NAME_ENV,
  POD_NAMESPACE_ENV,
  POSITION_DB_PATH,
  REFRESH_INTERVAL_SECONDS,
  RETRY_MAX_DELAY_SECONDS,
  ROTATE_WAIT_SECONDS,
} from './constants.ts';

export interface FluentBitConfigOptions {
  logGroup: string;
  retentionDays: number | undefined;
  parser: LogParser;
  region: string;
  /** Fluent Bit's `Grace`: seconds it keeps delivering after SIGTERM. */
  graceSeconds: number;
}

/** File name to content, as stored in the sidecar's ConfigMap. */
export type FluentBitConfigFiles = Record<string, string>;

type Entry = readonly [key: string, value: string | number];

/**
 * Returns Fluent Bit's `Grace` for a pod termination grace period: at most a third of it,
 * and never more than MAX_FLUENT_BIT_GRACE_SECONDS. With a native sidecar, Kubernetes
 * sends SIGTERM to the sidecar only after the app has exited, and both share one grace
 * period, so the smaller Grace leaves the app most of the time to drain requests.
 */
export function fluentBitGraceSeconds(terminationGracePeriodSeconds: number): number {
  return Math.max(1, Math.min(MAX_FLUENT_BIT_GRACE_SECONDS, Math.floor(terminationGracePeriodSeconds / 3)));
}

export function renderFluentBitConfig(options: FluentBitConfigOptions): FluentBitConfigFiles {
  const main = [
    section('SERVICE', serviceEntries(options)),
    section('INPUT', tailEntries(options.parser)),
    section('FILTER', metadataEntries()),
    section('OUTPUT', cloudWatchEntries(options)),
  ];
  const parsers = [section('PARSER', jsonParserEntries())];
  return {
    [CONFIG_FILE]: main.join('\n'),
    [PARSERS_FILE]: parsers.join('\n'),
  };
}

/** Returns the SHA-256 of the files, independent of key order, so a change to any file changes it. */
export function configHash(files: FluentBitConfigFiles): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(files).sort()) {
    hash.update(`${name}\0${files[name]}\0`);
  }
  return hash.digest('hex');
}

function serviceEntries(options: FluentBitConfigOptions): Entry[] {
  return [
    ['Flush', FLUSH_INTERVAL_SECONDS],
    ['Grace', options.graceSeconds],
    ['Log_Level', 'info'],
    ['Parsers_File', `${CONFIG_DIR}/${PARSERS_FILE}`],
    // The pod shares one network namespace, so a monitoring port could collide with the app's.
    ['HTTP_Server', 'Off'],
    ['scheduler.cap', RETRY_MAX_DELAY_SECONDS],
    // Chunks are kept in the shared emptyDir too, so records that were read but not yet
    // delivered survive a restart of the sidecar container (not of the pod).
    ['storage.path', BUFFER_PATH],
    ['storage.sync', 'normal'],
    ['storage.checksum', 'Off'],
    ['storage.max_chunks_up', MAX_CHUNKS_UP],
    ['storage.backlog.mem_limit', '5M'],
  ];
}

function tailEntries(parser: LogParser): Entry[] {
  const entries: Entry[] = [
    ['Name', 'tail'],
    ['Tag', LOG_TAG],
    ['Path', `${LOG_DIR}/${LOG_FILE_GLOB}`],
    ['DB', POSITION_DB_PATH],
    // Only this sidecar opens the database, so it may hold an exclusive lock.
    ['DB.locking', 'true'],
    // A file found without a saved position was written by this pod before the sidecar
    // started, so it is read from its first line.
    ['Read_from_Head', 'On'],
    ['Refresh_Interval', REFRESH_INTERVAL_SECONDS],
    ['Rotate_Wait', ROTATE_WAIT_SECONDS],
    ['Mem_Buf_Limit', MEM_BUF_LIMIT],
    ['Skip_Long_Lines', 'On'],
    ['Skip_Empty_Lines', 'On'],
    ['Buffer_Chunk_Size', BUFFER_CHUNK_SIZE],
    ['Buffer_Max_Size', BUFFER_MAX_SIZE],
    ['storage.type', 'filesystem'],
  ];
  if (parser === 'json') entries.push(['Parser', JSON_PARSER]);
  return entries;
}

/** Adds pod identity under OpenTelemetry resource attribute names, from the sidecar's environment. */
function metadataEntries(): Entry[] {
  return [
    ['Name', 'record_modifier'],
    ['Match', LOG_TAG],
    ['Record', `k8s.namespace.name \${${POD_NAMESPACE_ENV}}`],
    ['Record', `k8s.pod.name \${${POD_NAME_ENV}}`],
    ['Record', `k8s.container.name \${${APP_CONTAINER_ENV}}`],
    ['Record', `service.name \${${MICROSERVICE_ENV}}`],
  ];
}

function cloudWatchEntries(options: FluentBitConfigOptions): Entry[] {
  const entries: Entry[] = [
    ['Name', 'cloudwatch_logs'],
    ['Match', LOG_TAG],
    ['region', options.region],
    ['log_group_name', options.logGroup],
    // One stream per pod, "<pod>/app", because the output appends the tag to the prefix.
    ['log_stream_prefix', `\${${POD_NAME_ENV}}/`],
    ['auto_create_group', 'On'],
  ];
  // Fluent Bit sets the retention only right after it creates the group.
  if (options.retentionDays !== undefined) entries.push(['log_retention_days', options.retentionDays]);
  // Fluent Bit 1.9 retries a chunk only once by default. Unlimited retries keep at most BUFFER_TOTAL_LIMIT on disk.
  entries.push(['Retry_Limit', 'False'], ['storage.total_limit_size', BUFFER_TOTAL_LIMIT]);
  return entries;
}

/** Reads winston-style JSON lines, whose `timestamp` is ISO 8601 in UTC with milliseconds. */
function jsonParserEntries(): Entry[] {
  return [
    ['Name', JSON_PARSER],
    ['Format', 'json'],
    ['Time_Key', 'timestamp'],
    ['Time_Format', '%Y-%m-%dT%H:%M:%S.%LZ'],
    ['Time_Keep', 'On'],
  ];
}

/** Writes one section with its keys aligned, indented by four spaces as the Fluent Bit manual suggests. */
function section(name: string, entries: Entry[]): string {
  const width = Math.max(...entries.map(([key]) => key.length));
  const lines = entries.map(([key, value]) => `    ${key.padEnd(width)} ${value}`);
  return `[${name}]\n${lines.join('\n')}\n`;
}
