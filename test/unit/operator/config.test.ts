import { describe, expect, it } from 'vitest';
import { ConfigError, helpText, parseConfig, type HostInfo, type OperatorConfig } from '../../../operator/src/config.ts';

const OUTSIDE: HostInfo = { serviceAccountNamespace: () => undefined };
const IN_POD: HostInfo = { serviceAccountNamespace: () => 'flywheel-system' };
const IN_CLUSTER_ENV = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };

const parse = (argv: string[], env: NodeJS.ProcessEnv = {}, host: HostInfo = OUTSIDE): OperatorConfig => {
  const config = parseConfig(argv, env, false, host);
  if (config === 'help') throw new Error('unexpected help');
  return config;
};

const errorOf = (argv: string[], env: NodeJS.ProcessEnv = {}, host: HostInfo = OUTSIDE): ConfigError => {
  try {
    parseConfig(argv, env, false, host);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected a ConfigError for ${argv.join(' ')}`);
};

describe('parseConfig defaults', () => {
  it('outside a cluster', () => {
    const config = parse([]);
    expect(config.leaderElection.enabled).toBe(false);
    expect(config.metricsAuth).toBe(false);
    expect(config.metricsBindAddress).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(config.healthProbeBindAddress).toEqual({ host: '127.0.0.1', port: 8081 });
    expect(config.gracefulShutdownTimeoutMs).toBe(25_000);
    expect(config.metricsTls).toBeUndefined();
  });

  it('in a cluster', () => {
    const config = parse([], IN_CLUSTER_ENV, IN_POD);
    expect(config.leaderElection).toEqual({
      enabled: true,
      leaseName: 'flywheel-operator',
      leaseNamespace: 'flywheel-system',
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
    });
    expect(config.metricsAuth).toBe(true);
    expect(config.metricsBindAddress).toEqual({ host: '', port: 8080 });
    expect(config.healthProbeBindAddress).toEqual({ host: '', port: 8081 });
  });

  it('counts a kubeconfig as outside a cluster', () => {
    const config = parse(['--kubeconfig', '/tmp/kubeconfig'], IN_CLUSTER_ENV, IN_POD);
    expect(config.leaderElection.enabled).toBe(false);
  });

  it('takes the Lease namespace from POD_NAMESPACE first', () => {
    const config = parse([], { ...IN_CLUSTER_ENV, POD_NAMESPACE: 'ops' }, IN_POD);
    expect(config.leaderElection.leaseNamespace).toBe('ops');
  });
});

describe('parseConfig values', () => {
  const cases: Array<[string, string[], NodeJS.ProcessEnv, (config: OperatorConfig) => unknown, unknown]> = [
    ['leader election by flag', ['--leader-elect', 'true', '--leader-elect-resource-namespace', 'ops'], {}, (c) => c.leaderElection.enabled, true],
    ['leader election by variable', [], { FLYWHEEL_LEADER_ELECT: 'true', FLYWHEEL_LEADER_ELECT_RESOURCE_NAMESPACE: 'ops' }, (c) => c.leaderElection.enabled, true],
    ['flag over variable', ['--leader-elect', 'false'], { FLYWHEEL_LEADER_ELECT: 'true' }, (c) => c.leaderElection.enabled, false],
    ['Lease name', ['--leader-elect-resource-name', 'my.lease'], {}, (c) => c.leaderElection.leaseName, 'my.lease'],
    ['lease duration in seconds', ['--leader-elect-lease-duration', '30s'], {}, (c) => c.leaderElection.leaseDurationMs, 30_000],
    ['renew deadline in Go form', ['--leader-elect-renew-deadline', '1m30s', '--leader-elect-lease-duration', '2m'], {}, (c) => c.leaderElection.renewDeadlineMs, 90_000],
    ['retry period in milliseconds', ['--leader-elect-retry-period', '500ms'], {}, (c) => c.leaderElection.retryPeriodMs, 500],
    ['metrics port 0', ['--metrics-bind-address', '127.0.0.1:0'], {}, (c) => c.metricsBindAddress, { host: '127.0.0.1', port: 0 }],
    ['metrics off', ['--metrics-bind-address', '0'], {}, (c) => c.metricsBindAddress, undefined],
    ['probes on IPv6', ['--health-probe-bind-address', '[::1]:9440'], {}, (c) => c.healthProbeBindAddress, { host: '::1', port: 9440 }],
    ['both on port 0', ['--metrics-bind-address', ':0', '--health-probe-bind-address', ':0'], {}, (c) => c.healthProbeBindAddress?.port, 0],
    ['metrics auth on', ['--metrics-auth', 'true'], {}, (c) => c.metricsAuth, true],
    ['metrics TLS', ['--metrics-cert-file', 'tls.crt', '--metrics-key-file', 'tls.key'], {}, (c) => c.metricsTls, { certFile: 'tls.crt', keyFile: 'tls.key' }],
    ['shutdown timeout', ['--graceful-shutdown-timeout', '1m'], {}, (c) => c.gracefulShutdownTimeoutMs, 60_000],
  ];

  it.each(cases)('reads %s', (_name, argv, env, select, expected) => {
    expect(select(parse(argv, env))).toEqual(expected);
  });
});

describe('parseConfig rejects', () => {
  const cases: Array<[string, string[], NodeJS.ProcessEnv, RegExp]> = [
    ['unknown flag', ['--leader-election'], {}, /Unknown option '--leader-election'.*--help/],
    ['workers 0', ['--workers', '0'], {}, /--workers "0" is invalid; use a whole number from 1 to 64/],
    ['workers not a number', ['--workers', 'four'], {}, /--workers "four" is invalid/],
    ['log level', ['--log-level', 'verbose'], {}, /--log-level "verbose" is invalid; use one of error, warn, info, debug/],
    ['log format', ['--log-format', 'yaml'], {}, /--log-format "yaml" is invalid/],
    ['namespace name', ['--namespaces', 'Shop'], {}, /--namespaces entry "Shop" is not a valid namespace name/],
    ['leader-elect value', ['--leader-elect', 'yes'], {}, /--leader-elect "yes" is invalid; use true or false/],
    ['leader-elect variable', [], { FLYWHEEL_LEADER_ELECT: '1' }, /--leader-elect "1" is invalid/],
    ['Lease namespace missing', ['--leader-elect', 'true'], {}, /--leader-elect-resource-namespace is missing.*--leader-elect=false/],
    ['Lease namespace name', ['--leader-elect-resource-namespace', 'Ops_1'], {}, /--leader-elect-resource-namespace "Ops_1" is not a valid namespace name/],
    ['Lease name', ['--leader-elect-resource-name', 'My Lease'], {}, /--leader-elect-resource-name "My Lease" is not a valid Lease name/],
    ['duration without unit', ['--leader-elect-lease-duration', '15'], {}, /--leader-elect-lease-duration "15" is invalid; use a positive duration such as 500ms, 15s or 1m30s/],
    ['zero duration', ['--leader-elect-retry-period', '0s'], {}, /--leader-elect-retry-period "0s" is invalid/],
    ['negative duration', ['--leader-elect-renew-deadline=-5s'], {}, /--leader-elect-renew-deadline "-5s" is invalid/],
    [
      'lease not above renew deadline',
      ['--leader-elect-lease-duration', '10s'],
      {},
      /--leader-elect-lease-duration \(10s\) must be greater than --leader-elect-renew-deadline \(10s\)/,
    ],
    [
      'renew deadline not above retry period',
      ['--leader-elect-renew-deadline', '2s', '--leader-elect-retry-period', '3s'],
      {},
      /--leader-elect-renew-deadline \(2s\) must be greater than --leader-elect-retry-period \(3s\)/,
    ],
    ['bind address without port', ['--metrics-bind-address', 'localhost'], {}, /--metrics-bind-address "localhost" is invalid; use host:port, :port for all interfaces, or 0/],
    ['port above 65535', ['--health-probe-bind-address', ':70000'], {}, /--health-probe-bind-address ":70000" is invalid/],
    ['same port twice', ['--metrics-bind-address', ':9000', '--health-probe-bind-address', '127.0.0.1:9000'], {}, /both port 9000; give them different ports/],
    ['metrics auth value', ['--metrics-auth', 'on'], {}, /--metrics-auth "on" is invalid; use true or false/],
    ['certificate without key', ['--metrics-cert-file', 'tls.crt'], {}, /--metrics-key-file is missing; --metrics-cert-file and --metrics-key-file go together/],
    ['key without certificate', ['--metrics-key-file', 'tls.key'], {}, /--metrics-cert-file is missing/],
    ['shutdown timeout', ['--graceful-shutdown-timeout', 'soon'], {}, /--graceful-shutdown-timeout "soon" is invalid/],
  ];

  it.each(cases)('%s', (_name, argv, env, message) => {
    expect(errorOf(argv, env).message).toMatch(message);
  });
});

describe('helpText', () => {
  it('lists every new flag with its variable', () => {
    const text = helpText();
    for (const flag of [
      '--leader-elect ',
      '--leader-elect-resource-name',
      '--leader-elect-resource-namespace',
      '--leader-elect-lease-duration',
      '--leader-elect-renew-deadline',
      '--leader-elect-retry-period',
      '--metrics-bind-address',
      '--metrics-auth',
      '--metrics-cert-file',
      '--metrics-key-file',
      '--health-probe-bind-address',
      '--graceful-shutdown-timeout',
    ]) {
      expect(text).toContain(flag);
    }
    expect(text).toContain('[FLYWHEEL_LEADER_ELECT_LEASE_DURATION]');
  });
});
