/**
 * Operator configuration from command-line flags and FLYWHEEL_* environment variables;
 * a flag wins over its variable. Invalid values stop start-up with a message naming the
 * setting, the value and what is accepted.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_PLATFORM, type PlatformSettings } from '../../cdk8s/src/api/platform.ts';
import type { LogFormat } from './log.ts';
import { DEFAULT_WORKERS } from './runtime/constants.ts';

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
}

export class ConfigError extends Error {}

const OPTIONS = {
  kubeconfig: { type: 'string', env: 'KUBECONFIG', help: 'Path to a kubeconfig; default: in-cluster, then ~/.kube/config.' },
  namespaces: { type: 'string', env: 'FLYWHEEL_NAMESPACES', help: 'Comma-separated namespaces to watch; default: all.' },
  workers: { type: 'string', env: 'FLYWHEEL_WORKERS', help: `Concurrent reconciles, 1 to 64; default ${DEFAULT_WORKERS}.` },
  'log-level': { type: 'string', env: 'FLYWHEEL_LOG_LEVEL', help: 'error, warn, info or debug; default info.' },
  'log-format': { type: 'string', env: 'FLYWHEEL_LOG_FORMAT', help: 'json or text; default text on a terminal, else json.' },
  mesh: { type: 'string', env: 'FLYWHEEL_MESH_ENABLED', help: 'Render Istio objects: true or false; default true.' },
  'logging-default': { type: 'string', env: 'FLYWHEEL_LOGGING_DEFAULT', help: 'Log shipping for Microservices that do not choose: true or false; default false.' },
  'kubernetes-version': { type: 'string', env: 'FLYWHEEL_KUBERNETES_VERSION', help: 'Cluster version as 1.NN; default: read from the API server.' },
  help: { type: 'boolean', env: '', help: 'Print this help.' },
} as const;

type OptionName = keyof typeof OPTIONS;

export function helpText(): string {
  const lines = Object.entries(OPTIONS).map(([name, option]) => {
    const env = option.env ? ` [${option.env}]` : '';
    return `  --${name.padEnd(20)} ${option.help}${env}`;
  });
  return `Usage: flywheel operator [options]\n\n${lines.join('\n')}\n`;
}

export function parseConfig(argv: string[], env: NodeJS.ProcessEnv, isTerminal: boolean): OperatorConfig | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: Object.fromEntries(Object.entries(OPTIONS).map(([name, option]) => [name, { type: option.type }])),
      allowPositionals: false,
    });
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}; run with --help for the list of options`);
  }
  if (parsed.values.help) return 'help';

  const value = (name: OptionName): string | undefined => {
    const flag = parsed.values[name];
    if (typeof flag === 'string') return flag;
    const variable = OPTIONS[name].env;
    return variable ? env[variable] || undefined : undefined;
  };

  const kubernetesVersion = value('kubernetes-version');
  if (kubernetesVersion !== undefined && !/^1\.\d+$/.test(kubernetesVersion)) {
    throw new ConfigError(`--kubernetes-version "${kubernetesVersion}" is invalid; use the form 1.34`);
  }

  return {
    kubeconfig: value('kubeconfig'),
    namespaces: parseNamespaces(value('namespaces')),
    workers: parseInteger('workers', value('workers'), DEFAULT_WORKERS, 1, 64),
    logLevel: parseChoice('log-level', value('log-level'), ['error', 'warn', 'info', 'debug'], 'info'),
    logFormat: parseChoice('log-format', value('log-format'), ['json', 'text'], isTerminal ? 'text' : 'json'),
    kubernetesVersion,
    platform: {
      ...DEFAULT_PLATFORM,
      kubernetesVersion: kubernetesVersion ?? DEFAULT_PLATFORM.kubernetesVersion,
      mesh: { enabled: parseBoolean('mesh', value('mesh'), DEFAULT_PLATFORM.mesh.enabled) },
      logging: { ...DEFAULT_PLATFORM.logging, enabled: parseBoolean('logging-default', value('logging-default'), DEFAULT_PLATFORM.logging.enabled) },
    },
  };
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
