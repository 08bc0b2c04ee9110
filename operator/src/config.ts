/**
 * Operator configuration from command-line flags and FLYWHEEL_* environment variables;
 * a flag wins over its variable. Invalid values stop start-up with a message naming the
 * setting, the value and what is accepted.
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_PLATFORM, type PlatformSettings } from '../../cdk8s/src/api/platform.ts';
import { AWS_REGION_PATTERN } from '../../cdk8s/src/logging/settings.ts';
import { flagHelp, parseFlags } from './flags.ts';
import { parseQuantity } from './kube/compare.ts';
import type { LogFormat } from './log.ts';
import {
  DEFAULT_WORKERS,
  GRACEFUL_SHUTDOWN_TIMEOUT_MS,
  LEASE_DURATION_MS,
  RENEW_DEADLINE_MS,
  RETRY_PERIOD_MS,
} from './runtime/constants.ts';

export interface OperatorConfig {
  kubeconfig: string | undefined;
  /** Namespaces to watch; empty means all. */
  namespaces: string[];
  workers: number;
  logLevel: string;
  logFormat: LogFormat;
  platform: PlatformSettings;
  /** Kubernetes version given by flag; undefined means ask the API server. */
  kubernetesVersion: string | undefined;
  leaderElection: LeaderElectionConfig;
  /** Listen address of /metrics; undefined when switched off with "0". */
  metricsBindAddress: BindAddress | undefined;
  /** Check scrapes of /metrics with a TokenReview and a SubjectAccessReview. */
  metricsAuth: boolean;
  /** PEM certificate and key files that switch /metrics to HTTPS; undefined serves plain HTTP. */
  metricsTls: { certFile: string; keyFile: string } | undefined;
  /** Listen address of /healthz and /readyz; undefined when switched off with "0". */
  healthProbeBindAddress: BindAddress | undefined;
  /** Time in milliseconds that in-flight reconciles get to finish after SIGTERM or SIGINT. */
  gracefulShutdownTimeoutMs: number;
}

export interface LeaderElectionConfig {
  enabled: boolean;
  /** Name of the coordination.k8s.io/v1 Lease. */
  leaseName: string;
  /** Namespace of the Lease; empty only when leader election is off. */
  leaseNamespace: string;
  /** Time in milliseconds that standbys wait after the last observed renewal before taking over. */
  leaseDurationMs: number;
  /** Time in milliseconds that a leader keeps retrying a failed renewal before it stops. */
  renewDeadlineMs: number;
  /** Time in milliseconds between attempts to acquire or renew the Lease. */
  retryPeriodMs: number;
}

/** A TCP listen address; host "" listens on all interfaces. */
export interface BindAddress {
  host: string;
  /** 0 lets the operating system pick a free port. */
  port: number;
}

/** Facts about the machine the operator runs on that choose defaults; tests replace them. */
export interface HostInfo {
  /** Namespace of the Pod's ServiceAccount, undefined outside a cluster. */
  serviceAccountNamespace(): string | undefined;
}

const SERVICE_ACCOUNT_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

const LOCAL_HOST: HostInfo = {
  serviceAccountNamespace() {
    try {
      return readFileSync(SERVICE_ACCOUNT_NAMESPACE_FILE, 'utf8').trim() || undefined;
    } catch {
      return undefined;
    }
  },
};

/** Name of the leader election Lease unless --leader-elect-resource-name sets another. */
export const DEFAULT_LEASE_NAME = 'flywheel-operator';

export class ConfigError extends Error {}

const OPTIONS = {
  kubeconfig: { type: 'string', env: 'KUBECONFIG', help: 'Path to a kubeconfig, or a list of them as in KUBECONFIG; default: in-cluster, then ~/.kube/config.' },
  namespaces: { type: 'string', env: 'FLYWHEEL_NAMESPACES', help: 'Comma-separated namespaces to watch; default: all.' },
  workers: { type: 'string', env: 'FLYWHEEL_WORKERS', help: `Concurrent reconciles, 1 to 64; default ${DEFAULT_WORKERS}.` },
  'log-level': { type: 'string', env: 'FLYWHEEL_LOG_LEVEL', help: 'error, warn, info or debug; default info.' },
  'log-format': { type: 'string', env: 'FLYWHEEL_LOG_FORMAT', help: 'json or text; default text on a terminal, else json.' },
  mesh: { type: 'string', env: 'FLYWHEEL_MESH_ENABLED', help: 'Render Istio objects: true or false; default true.' },
  'logging-default': { type: 'string', env: 'FLYWHEEL_LOGGING_DEFAULT', help: 'Log shipping for Microservices that do not choose: true or false; default false.' },
  'aws-region': {
    type: 'string',
    env: 'FLYWHEEL_AWS_REGION',
    help: `AWS region whose CloudWatch Logs the log-shipping sidecars write to, such as eu-west-1; default ${DEFAULT_PLATFORM.logging.region}.`,
  },
  'fluent-bit-image': {
    type: 'string',
    env: 'FLYWHEEL_FLUENT_BIT_IMAGE',
    help: `Fluent Bit sidecar image, pinned by a version tag or a digest; default ${DEFAULT_PLATFORM.logging.fluentBitImage}.`,
  },
  'fluent-bit-cpu-request': { type: 'string', env: 'FLYWHEEL_FLUENT_BIT_CPU_REQUEST', help: 'CPU request of the Fluent Bit sidecar as a quantity; default 50m.' },
  'fluent-bit-memory-request': { type: 'string', env: 'FLYWHEEL_FLUENT_BIT_MEMORY_REQUEST', help: 'Memory request of the Fluent Bit sidecar as a quantity; default 50Mi.' },
  'fluent-bit-memory-limit': { type: 'string', env: 'FLYWHEEL_FLUENT_BIT_MEMORY_LIMIT', help: 'Memory limit of the Fluent Bit sidecar as a quantity; default 250Mi.' },
  'kubernetes-version': { type: 'string', env: 'FLYWHEEL_KUBERNETES_VERSION', help: 'Cluster version as 1.NN; default: read from the API server.' },
  'prometheus-address': { type: 'string', env: 'FLYWHEEL_PROMETHEUS_ADDRESS', help: 'Base URL of the Prometheus that canary analysis queries, as http://host:9090; default: none.' },
  'leader-elect': {
    type: 'string',
    env: 'FLYWHEEL_LEADER_ELECT',
    help: 'Run workers only while holding the leader Lease: true or false; default true in a cluster, false outside.',
  },
  'leader-elect-resource-name': { type: 'string', env: 'FLYWHEEL_LEADER_ELECT_RESOURCE_NAME', help: `Name of the leader election Lease; default ${DEFAULT_LEASE_NAME}.` },
  'leader-elect-resource-namespace': {
    type: 'string',
    env: 'FLYWHEEL_LEADER_ELECT_RESOURCE_NAMESPACE',
    help: "Namespace of the Lease; default: the Pod's namespace (POD_NAMESPACE or its ServiceAccount); required outside a cluster.",
  },
  'leader-elect-lease-duration': {
    type: 'string',
    env: 'FLYWHEEL_LEADER_ELECT_LEASE_DURATION',
    help: `How long standbys wait after the last renewal before taking over, as a duration like 15s; default ${LEASE_DURATION_MS / 1000}s.`,
  },
  'leader-elect-renew-deadline': {
    type: 'string',
    env: 'FLYWHEEL_LEADER_ELECT_RENEW_DEADLINE',
    help: `How long the leader retries a failed renewal before it exits; below the lease duration; default ${RENEW_DEADLINE_MS / 1000}s.`,
  },
  'leader-elect-retry-period': {
    type: 'string',
    env: 'FLYWHEEL_LEADER_ELECT_RETRY_PERIOD',
    help: `Time between attempts to acquire or renew the Lease; below the renew deadline; default ${RETRY_PERIOD_MS / 1000}s.`,
  },
  'metrics-bind-address': {
    type: 'string',
    env: 'FLYWHEEL_METRICS_BIND_ADDRESS',
    help: 'Listen address of /metrics as host:port, :port for all interfaces, or 0 to switch it off; default :8080 in a cluster, 127.0.0.1:8080 outside.',
  },
  'metrics-auth': {
    type: 'string',
    env: 'FLYWHEEL_METRICS_AUTH',
    help: 'Require a bearer token allowed to get the non-resource URL /metrics (TokenReview, SubjectAccessReview): true or false; default true in a cluster, false outside.',
  },
  'metrics-cert-file': {
    type: 'string',
    env: 'FLYWHEEL_METRICS_CERT_FILE',
    help: 'PEM certificate that switches /metrics to HTTPS, so bearer tokens are not sent in clear; needs --metrics-key-file; default: plain HTTP.',
  },
  'metrics-key-file': { type: 'string', env: 'FLYWHEEL_METRICS_KEY_FILE', help: 'PEM private key of --metrics-cert-file.' },
  'health-probe-bind-address': {
    type: 'string',
    env: 'FLYWHEEL_HEALTH_PROBE_BIND_ADDRESS',
    help: 'Listen address of /healthz and /readyz, in the form of --metrics-bind-address; default :8081 in a cluster, 127.0.0.1:8081 outside.',
  },
  'graceful-shutdown-timeout': {
    type: 'string',
    env: 'FLYWHEEL_GRACEFUL_SHUTDOWN_TIMEOUT',
    help: `Time that in-flight reconciles get to finish after SIGTERM, as a duration like 25s; default ${GRACEFUL_SHUTDOWN_TIMEOUT_MS / 1000}s.`,
  },
  help: { type: 'boolean', env: '', help: 'Print this help.' },
} as const;

type OptionName = keyof typeof OPTIONS;

export function helpText(): string {
  return flagHelp('flywheel operator [options]', OPTIONS);
}

/**
 * Parses the flags in `argv` over the variables in `env`. The operator counts as running
 * in a cluster when no kubeconfig is given and KUBERNETES_SERVICE_HOST is set, which
 * changes the defaults of leader election, metrics authentication and the bind addresses.
 */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv, isTerminal: boolean, host: HostInfo = LOCAL_HOST): OperatorConfig | 'help' {
  const flags = parseFlags<OptionName>(argv, env, OPTIONS, (message) => new ConfigError(message));
  if (flags.help) return 'help';
  const value = flags.value;

  const kubernetesVersion = value('kubernetes-version');
  if (kubernetesVersion !== undefined && !/^1\.\d+$/.test(kubernetesVersion)) {
    throw new ConfigError(`--kubernetes-version "${kubernetesVersion}" is invalid; use the form 1.34`);
  }

  const prometheusAddress = value('prometheus-address');
  if (prometheusAddress !== undefined && !/^https?:\/\/[^\s/]+/.test(prometheusAddress)) {
    throw new ConfigError(`--prometheus-address "${prometheusAddress}" is invalid; use an http or https URL such as http://prometheus:9090`);
  }

  const kubeconfig = value('kubeconfig');
  const inCluster = kubeconfig === undefined && Boolean(env.KUBERNETES_SERVICE_HOST);
  const metricsBindAddress = parseBindAddress('metrics-bind-address', value('metrics-bind-address'), inCluster ? ':8080' : '127.0.0.1:8080');
  const healthProbeBindAddress = parseBindAddress('health-probe-bind-address', value('health-probe-bind-address'), inCluster ? ':8081' : '127.0.0.1:8081');
  if (metricsBindAddress && healthProbeBindAddress && metricsBindAddress.port !== 0 && sameAddress(metricsBindAddress, healthProbeBindAddress)) {
    throw new ConfigError(
      `--metrics-bind-address and --health-probe-bind-address are both port ${metricsBindAddress.port}; give them different ports`,
    );
  }

  return {
    kubeconfig,
    namespaces: parseNamespaces(value('namespaces')),
    workers: parseInteger('workers', value('workers'), DEFAULT_WORKERS, 1, 64),
    logLevel: parseChoice('log-level', value('log-level'), ['error', 'warn', 'info', 'debug'], 'info'),
    logFormat: parseChoice('log-format', value('log-format'), ['json', 'text'], isTerminal ? 'text' : 'json'),
    kubernetesVersion,
    platform: {
      ...DEFAULT_PLATFORM,
      kubernetesVersion: kubernetesVersion ?? DEFAULT_PLATFORM.kubernetesVersion,
      mesh: { enabled: parseBoolean('mesh', value('mesh'), DEFAULT_PLATFORM.mesh.enabled) },
      logging: parseLogging(value),
      prometheus: { address: prometheusAddress },
    },
    leaderElection: parseLeaderElection(value, inCluster, env, host),
    metricsBindAddress,
    metricsAuth: parseBoolean('metrics-auth', value('metrics-auth'), inCluster),
    metricsTls: parseTlsFiles(value('metrics-cert-file'), value('metrics-key-file')),
    healthProbeBindAddress,
    gracefulShutdownTimeoutMs: parseDuration('graceful-shutdown-timeout', value('graceful-shutdown-timeout'), GRACEFUL_SHUTDOWN_TIMEOUT_MS),
  };
}

function parseTlsFiles(certFile: string | undefined, keyFile: string | undefined): OperatorConfig['metricsTls'] {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) {
    const missing = certFile === undefined ? 'metrics-cert-file' : 'metrics-key-file';
    throw new ConfigError(`--${missing} is missing; --metrics-cert-file and --metrics-key-file go together`);
  }
  return { certFile, keyFile };
}

function parseLeaderElection(
  value: (name: OptionName) => string | undefined,
  inCluster: boolean,
  env: NodeJS.ProcessEnv,
  host: HostInfo,
): LeaderElectionConfig {
  const enabled = parseBoolean('leader-elect', value('leader-elect'), inCluster);
  const leaseName = value('leader-elect-resource-name') ?? DEFAULT_LEASE_NAME;
  if (!isDnsSubdomain(leaseName)) {
    throw new ConfigError(`--leader-elect-resource-name "${leaseName}" is not a valid Lease name; use lowercase letters, digits, '-' and '.'`);
  }
  const leaseNamespace = value('leader-elect-resource-namespace') ?? (env.POD_NAMESPACE || host.serviceAccountNamespace() || '');
  if (leaseNamespace !== '') assertNamespaceName('leader-elect-resource-namespace', leaseNamespace);
  if (enabled && leaseNamespace === '') {
    throw new ConfigError(
      '--leader-elect-resource-namespace is missing; outside a cluster it is required with --leader-elect=true, so set it or pass --leader-elect=false',
    );
  }

  const leaseDurationMs = parseDuration('leader-elect-lease-duration', value('leader-elect-lease-duration'), LEASE_DURATION_MS);
  const renewDeadlineMs = parseDuration('leader-elect-renew-deadline', value('leader-elect-renew-deadline'), RENEW_DEADLINE_MS);
  const retryPeriodMs = parseDuration('leader-elect-retry-period', value('leader-elect-retry-period'), RETRY_PERIOD_MS);
  // The leader must give up before a standby may take over, and must get at least two
  // attempts to renew before it gives up, or a single slow request would end its term.
  if (leaseDurationMs <= renewDeadlineMs) {
    throw new ConfigError(
      `--leader-elect-lease-duration (${formatDuration(leaseDurationMs)}) must be greater than --leader-elect-renew-deadline (${formatDuration(renewDeadlineMs)})`,
    );
  }
  if (renewDeadlineMs <= retryPeriodMs) {
    throw new ConfigError(
      `--leader-elect-renew-deadline (${formatDuration(renewDeadlineMs)}) must be greater than --leader-elect-retry-period (${formatDuration(retryPeriodMs)})`,
    );
  }
  return { enabled, leaseName, leaseNamespace, leaseDurationMs, renewDeadlineMs, retryPeriodMs };
}

function parseNamespaces(raw: string | undefined): string[] {
  if (!raw) return [];
  const namespaces = raw.split(',').map((namespace) => namespace.trim()).filter(Boolean);
  for (const namespace of namespaces) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace) || namespace.length > 63) {
      throw new ConfigError(`--namespaces entry "${namespace}" is not a valid namespace name`);
    }
  }
  return [...new Set(namespaces)];
}

function assertNamespaceName(name: string, namespace: string): void {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace) || namespace.length > 63) {
    throw new ConfigError(`--${name} "${namespace}" is not a valid namespace name`);
  }
}

function isDnsSubdomain(name: string): boolean {
  return name.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(name);
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration in the form of Go's time.ParseDuration, which Kubernetes components
 * use for the same flags: a sequence of numbers with units ms, s, m or h, as 1m30s.
 * Returns milliseconds; the result must be at least 1 ms.
 */
export function parseDuration(name: string, raw: string | undefined, fallbackMs: number): number {
  if (raw === undefined) return fallbackMs;
  const parts = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/.test(raw) ? [...raw.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)] : [];
  const milliseconds = parts.reduce((total, [, number, unit]) => total + Number(number) * (DURATION_UNITS_MS[unit ?? ''] ?? 0), 0);
  if (parts.length === 0 || !(milliseconds >= 1) || !Number.isFinite(milliseconds)) {
    throw new ConfigError(`--${name} "${raw}" is invalid; use a positive duration such as 500ms, 15s or 1m30s`);
  }
  return Math.round(milliseconds);
}

function formatDuration(milliseconds: number): string {
  return milliseconds % 1_000 === 0 ? `${milliseconds / 1_000}s` : `${milliseconds}ms`;
}

/**
 * Parses a listen address: host:port, [IPv6]:port, or :port for all interfaces. "0"
 * switches the server off and returns undefined, as in controller-runtime.
 */
export function parseBindAddress(name: string, raw: string | undefined, fallback: string): BindAddress | undefined {
  const address = raw ?? fallback;
  if (address === '0') return undefined;
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(address);
  const port = Number(match?.[3]);
  if (!match || port > 65_535) {
    throw new ConfigError(`--${name} "${address}" is invalid; use host:port, :port for all interfaces, or 0 to switch the server off`);
  }
  return { host: match[1] ?? match[2] ?? '', port };
}

function sameAddress(a: BindAddress, b: BindAddress): boolean {
  return a.port === b.port && (a.host === b.host || a.host === '' || b.host === '');
}

export function parseInteger(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const number = Number(raw);
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new ConfigError(`--${name} "${raw}" is invalid; use a whole number from ${min} to ${max}`);
  }
  return number;
}

export function parseBoolean(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined) return fallback;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new ConfigError(`--${name} "${raw}" is invalid; use true or false`);
}

export function parseChoice<T extends string>(name: string, raw: string | undefined, choices: readonly T[], fallback: T): T {
  if (raw === undefined) return fallback;
  if ((choices as readonly string[]).includes(raw)) return raw as T;
  throw new ConfigError(`--${name} "${raw}" is invalid; use one of ${choices.join(', ')}`);
}

/** Tags that aws-for-fluent-bit moves to newer releases, so pods of one Deployment could run different builds. */
const FLOATING_IMAGE_TAGS = new Set(['latest', 'stable']);

function parseLogging(value: (name: OptionName) => string | undefined): PlatformSettings['logging'] {
  const defaults = DEFAULT_PLATFORM.logging;
  const region = value('aws-region') ?? defaults.region;
  if (!AWS_REGION_PATTERN.test(region)) {
    throw new ConfigError(`--aws-region "${region}" is not an AWS region name; use one such as us-east-1 or eu-west-1`);
  }
  const fluentBitImage = value('fluent-bit-image') ?? defaults.fluentBitImage;
  assertPinnedImage('fluent-bit-image', fluentBitImage);

  const cpuRequest = parseQuantityFlag('fluent-bit-cpu-request', value('fluent-bit-cpu-request'), defaults.sidecarResources.requests?.cpu);
  const memoryRequest = parseQuantityFlag('fluent-bit-memory-request', value('fluent-bit-memory-request'), defaults.sidecarResources.requests?.memory);
  const memoryLimit = parseQuantityFlag('fluent-bit-memory-limit', value('fluent-bit-memory-limit'), defaults.sidecarResources.limits?.memory);
  if (memoryRequest !== undefined && memoryLimit !== undefined && parseQuantity(memoryRequest)! > parseQuantity(memoryLimit)!) {
    throw new ConfigError(
      `--fluent-bit-memory-request (${memoryRequest}) exceeds --fluent-bit-memory-limit (${memoryLimit}); raise the limit or lower the request`,
    );
  }

  return {
    enabled: parseBoolean('logging-default', value('logging-default'), defaults.enabled),
    region,
    fluentBitImage,
    sidecarResources: { requests: { cpu: cpuRequest, memory: memoryRequest }, limits: { memory: memoryLimit } },
  };
}

/** Rejects an image reference without a version tag or digest, or with a tag that moves. */
function assertPinnedImage(name: string, image: string): void {
  const [reference = '', digest, ...rest] = image.split('@');
  const slash = reference.lastIndexOf('/');
  const colon = reference.lastIndexOf(':');
  const tag = colon > slash ? reference.slice(colon + 1) : undefined;
  const repository = tag === undefined ? reference : reference.slice(0, colon);
  const wellFormed =
    rest.length === 0 &&
    /^[a-z0-9]+([._:/-][a-z0-9]+)*$/.test(repository) &&
    (tag === undefined || /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) &&
    (digest === undefined || /^sha256:[a-f0-9]{64}$/.test(digest));
  if (!wellFormed) {
    throw new ConfigError(`--${name} "${image}" is not an image reference; use registry/repository:tag or registry/repository@sha256:digest`);
  }
  if (digest === undefined && (tag === undefined || FLOATING_IMAGE_TAGS.has(tag))) {
    throw new ConfigError(`--${name} "${image}" is not pinned; add a version tag such as :2.32.3 or a digest, because latest and stable move`);
  }
}

function parseQuantityFlag(name: string, raw: string | undefined, fallback: string | undefined): string | undefined {
  if (raw === undefined) return fallback;
  const quantity = parseQuantity(raw);
  if (quantity === undefined || quantity <= 0) {
    throw new ConfigError(`--${name} "${raw}" is invalid; use a positive Kubernetes quantity such as 50m, 0.5, 64Mi or 1Gi`);
  }
  return raw;
}
