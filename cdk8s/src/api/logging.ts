/** Types of the logging part of a Microservice spec. */

/**
 * Retention periods, in days, that CloudWatch Logs accepts in PutRetentionPolicy. Any
 * other number is rejected by the API, so the CRD enumerates them.
 */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export type LogRetentionDays = (typeof LOG_RETENTION_DAYS)[number];

/** Characters and length that CloudWatch Logs CreateLogGroup accepts in a log group name. */
export const LOG_GROUP_PATTERN = '^[-._/#A-Za-z0-9]+$';
export const LOG_GROUP_MAX_LENGTH = 512;
/** Prefix that CreateLogGroup rejects because AWS services use it. */
export const LOG_GROUP_RESERVED_PREFIX = 'aws/';

/** Format of each line of the log files: a JSON object, or plain text. */
export type LogParser = 'json' | 'text';

/** Fluent Bit sidecar that ships the service's log files to CloudWatch Logs. */
export interface LoggingSpec {
  /** @default the platform's logging default */
  enabled?: boolean;
  /**
   * CloudWatch Logs log group: 1 to 512 characters from `A-Z a-z 0-9 . - _ / #`, not
   * starting with "aws/". The sidecar creates the group when it does not exist.
   * @default "/flywheel/<namespace>/<name>"
   */
  logGroup?: string;
  /**
   * Days CloudWatch Logs keeps events in a log group that the sidecar creates. Fluent Bit
   * sets it only when it creates the group, so changing it leaves an existing group as it is.
   * @default no expiry
   */
  retentionDays?: LogRetentionDays;
  /**
   * Line format. "json" turns each line into the fields of a JSON object and takes the
   * event time from its `timestamp` field. "text" sends each line as the `log` field.
   * @default "json"
   */
  parser?: LogParser;
}
