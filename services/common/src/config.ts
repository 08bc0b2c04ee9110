import { EnvReader } from './env.ts';

export const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Faults injected into business requests; health and metrics endpoints are never faulted. */
export interface FaultConfig {
  /** Fixed delay added before each business request is handled, in milliseconds. */
  latencyMs: number;
  /** Upper bound of a uniformly random extra delay, in milliseconds. */
  latencyJitterMs: number;
  /** Fraction of business requests that get a 500 response, from 0 to 1. */
  errorRate: number;
}

/** Settings shared by every example service. */
export interface ServiceConfig {
  host: string;
  /** TCP port to listen on; 0 picks a free port. */
  port: number;
  /** Version label in the `service_info` metric and in every log line. */
  version: string;
  /** Source revision label in the `service_info` metric. */
  revision: string;
  logLevel: LogLevel;
  /** Directory for `app.log`, tailed by the log-shipping sidecar; no file is written when unset. */
  logDir: string | undefined;
  /** Time between readiness turning 503 and the listener closing, in milliseconds. */
  shutdownDelayMs: number;
  /** Time in-flight requests get after the listener closes, in milliseconds. */
  shutdownTimeoutMs: number;
  faults: FaultConfig;
}

// A delay above one minute would outlast the shutdown deadline and any client timeout,
// so a larger value is more likely a unit mistake than an experiment.
const MAX_FAULT_LATENCY_MS = 60_000;

/**
 * Reads the shared settings. Invalid values are collected in `env`, whose `finish()` throws.
 *
 * The shutdown delay defaults to 5 s so that endpoint controllers and load balancers can
 * drop the pod while it still serves, a common choice rather than a measured one. The
 * delay plus SHUTDOWN_TIMEOUT_MS must stay below the pod's termination grace period
 * (30 s by default in Kubernetes), or the kubelet kills the process first.
 */
export function readServiceConfig(env: EnvReader): ServiceConfig {
  return {
    host: env.string('HOST', '0.0.0.0'),
    port: env.integer('PORT', 8080, 0, 65_535),
    version: env.string('VERSION', 'dev'),
    revision: env.string('REVISION', 'unknown'),
    logLevel: env.oneOf('LOG_LEVEL', 'info', LOG_LEVELS),
    logDir: env.optionalString('FLYWHEEL_LOG_DIR'),
    shutdownDelayMs: env.integer('SHUTDOWN_DELAY_MS', 5_000, 0, 60_000),
    shutdownTimeoutMs: env.integer('SHUTDOWN_TIMEOUT_MS', 10_000, 0, 300_000),
    faults: {
      latencyMs: env.integer('FAULT_LATENCY_MS', 0, 0, MAX_FAULT_LATENCY_MS),
      latencyJitterMs: env.integer('FAULT_LATENCY_JITTER_MS', 0, 0, MAX_FAULT_LATENCY_MS),
      errorRate: env.fraction('FAULT_ERROR_RATE', 0),
    },
  };
}
