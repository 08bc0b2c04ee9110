/**
 * Paths, sizes and timing defaults of the log-shipping sidecar, in one place. They live
 * in the rendering library rather than in the operator, because `flywheel synth` and
 * cdk8s users render the same pods without the operator.
 */

/** Directory of the shared emptyDir, at the same path in the app and in the sidecar. */
export const LOG_DIR = '/var/log/flywheel';
/** Files in LOG_DIR that the sidecar tails. Rotated copies such as "app.log.1" do not match. */
export const LOG_FILE_GLOB = '*.log';
/** Environment variable that gives the app the directory for its log files. */
export const LOG_DIR_ENV = 'FLYWHEEL_LOG_DIR';
/** Sidecar environment variables, set through the downward API, that the Fluent Bit configuration reads. */
export const POD_NAME_ENV = 'FLYWHEEL_POD_NAME';
export const POD_NAMESPACE_ENV = 'FLYWHEEL_POD_NAMESPACE';
export const MICROSERVICE_ENV = 'FLYWHEEL_MICROSERVICE';
export const APP_CONTAINER_ENV = 'FLYWHEEL_APP_CONTAINER';
/** Fluent Bit tag of the tailed records, which ends every CloudWatch Logs stream name. */
export const LOG_TAG = 'app';
/** Name of the parser that the "json" setting selects, defined in PARSERS_FILE. */
export const JSON_PARSER = 'flywheel_json';
/** Tail position database, kept in the shared volume so a restarted sidecar resumes where it stopped. */
export const POSITION_DB_PATH = `${LOG_DIR}/fluent-bit-tail.db`;
/** Filesystem buffer of chunks not yet delivered. Fluent Bit creates the directory. */
export const BUFFER_PATH = `${LOG_DIR}/fluent-bit-buffer/`;
/** Mount path of the sidecar's ConfigMap. */
export const CONFIG_DIR = '/fluent-bit/etc/flywheel';
export const CONFIG_FILE = 'fluent-bit.conf';
export const PARSERS_FILE = 'parsers.conf';
/** Binary path inside the aws-for-fluent-bit image. */
export const FLUENT_BIT_BINARY = '/fluent-bit/bin/fluent-bit';

export const SIDECAR_CONTAINER = 'fluent-bit';
export const LOG_VOLUME = 'logs';
export const CONFIG_VOLUME = 'fluent-bit-config';
/** Pod template annotation whose change rolls the pods when the configuration changes. */
export const CONFIG_HASH_ANNOTATION = 'flywheel.dev/logging-config-hash';

/**
 * Non-root identity of the sidecar. The aws-for-fluent-bit image sets no USER and so would
 * run as root, which Pod Security "restricted" forbids. The group is also the pod's fsGroup
 * unless another feature set one, so the shared volume belongs to a group the sidecar is in.
 */
export const SIDECAR_USER_ID = 1000;
export const SIDECAR_GROUP_ID = 1000;

/** Kubernetes minor version from which init containers with `restartPolicy: Always` run as sidecars (beta, on by default). */
export const NATIVE_SIDECAR_MIN_MINOR = 29;

/** Pod termination grace period set when no other feature chose one, equal to the Kubernetes default. */
export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;
/**
 * Maximum time Fluent Bit spends delivering buffered records after SIGTERM (its `Grace`).
 * The sidecar gets at most a third of the pod's grace period, so the app keeps the rest.
 */
export const MAX_FLUENT_BIT_GRACE_SECONDS = 10;
/** Interval at which Fluent Bit hands buffered records to the output, in seconds. */
export const FLUSH_INTERVAL_SECONDS = 1;
/** Interval at which the tail input looks for new files matching LOG_FILE_GLOB, in seconds. */
export const REFRESH_INTERVAL_SECONDS = 10;
/** Seconds a renamed (rotated) file is still read, for lines the app wrote just before the rename. */
export const ROTATE_WAIT_SECONDS = 10;
/** Maximum retry delay after a failed delivery, in seconds. Fluent Bit 1.9 defaults to 2000. */
export const RETRY_MAX_DELAY_SECONDS = 60;

/**
 * Memory the tail input may hold before new chunks go to the filesystem buffer only. With
 * MAX_CHUNKS_UP chunks of about 2 MB in memory, the sidecar stays well under its 250Mi limit.
 */
export const MEM_BUF_LIMIT = '16M';
export const MAX_CHUNKS_UP = 16;
/** Disk space the filesystem buffer may use, in Fluent Bit units (1M is 10^6 bytes). Beyond it the oldest chunks are dropped. */
export const BUFFER_TOTAL_LIMIT = '256M';
/** Initial read buffer per file. */
export const BUFFER_CHUNK_SIZE = '32k';
/** Maximum line length the sidecar reads. Longer lines are skipped, because Skip_Long_Lines is on, instead of stopping the file. */
export const BUFFER_MAX_SIZE = '256k';
