/** Types of the logging part of a Microservice spec. */

/** Fluent Bit sidecar that ships the service's log files to CloudWatch Logs. */
export interface LoggingSpec {
  /** @default the platform's logging default */
  enabled?: boolean;
}
