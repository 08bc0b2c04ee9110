import { describe, expect, it } from 'vitest';
import { FLUENT_BIT_IMAGE } from '../../../cdk8s/src/api/platform.ts';
import { ConfigError, helpText, parseConfig, type HostInfo } from '../../../operator/src/config.ts';

const OUTSIDE: HostInfo = { serviceAccountNamespace: () => undefined };

const loggingOf = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
  const config = parseConfig(argv, env, false, OUTSIDE);
  if (config === 'help') throw new Error('unexpected help');
  return config.platform.logging;
};

const errorOf = (argv: string[]): string => {
  try {
    parseConfig(argv, {}, false, OUTSIDE);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error(`expected a ConfigError for ${argv.join(' ')}`);
};

describe('logging platform flags', () => {
  it('default to us-east-1, the pinned image and the default resources', () => {
    expect(loggingOf([])).toEqual({
      enabled: false,
      region: 'us-east-1',
      fluentBitImage: FLUENT_BIT_IMAGE,
      sidecarResources: { requests: { cpu: '50m', memory: '50Mi' }, limits: { memory: '250Mi' } },
    });
  });

  it('set the region', () => {
    expect(loggingOf(['--aws-region', 'eu-west-1']).region).toBe('eu-west-1');
  });

  it('read the region from FLYWHEEL_AWS_REGION', () => {
    expect(loggingOf([], { FLYWHEEL_AWS_REGION: 'ap-southeast-2' }).region).toBe('ap-southeast-2');
  });

  it('prefer the flag over the variable', () => {
    expect(loggingOf(['--aws-region', 'us-west-2'], { FLYWHEEL_AWS_REGION: 'eu-west-1' }).region).toBe('us-west-2');
  });

  it('accept a GovCloud region', () => {
    expect(loggingOf(['--aws-region', 'us-gov-west-1']).region).toBe('us-gov-west-1');
  });

  it('set the image', () => {
    expect(loggingOf(['--fluent-bit-image', 'registry.example:5000/fluent-bit:1.9.10']).fluentBitImage).toBe(
      'registry.example:5000/fluent-bit:1.9.10',
    );
  });

  it('accept an image pinned by digest', () => {
    const image = `public.ecr.aws/aws-observability/aws-for-fluent-bit@sha256:${'a'.repeat(64)}`;
    expect(loggingOf(['--fluent-bit-image', image]).fluentBitImage).toBe(image);
  });

  it('set the sidecar resources', () => {
    const logging = loggingOf(['--fluent-bit-cpu-request', '100m', '--fluent-bit-memory-request', '64Mi', '--fluent-bit-memory-limit', '1Gi']);
    expect(logging.sidecarResources).toEqual({ requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '1Gi' } });
  });

  it('keep the logging default switch', () => {
    expect(loggingOf(['--logging-default', 'true']).enabled).toBe(true);
  });

  it('appear in the help text', () => {
    expect(helpText()).toMatch(/--aws-region .*\[FLYWHEEL_AWS_REGION\]/);
  });
});

describe('logging platform flag validation', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['region with capitals', ['--aws-region', 'EU-WEST-1'], /--aws-region "EU-WEST-1" is not an AWS region name/],
    ['region without number', ['--aws-region', 'us-east'], /--aws-region "us-east" is not an AWS region name/],
    ['region as a URL', ['--aws-region', 'https://logs.us-east-1.amazonaws.com'], /is not an AWS region name/],
    ['image without tag', ['--fluent-bit-image', 'public.ecr.aws/aws-observability/aws-for-fluent-bit'], /is not pinned/],
    ['image on latest', ['--fluent-bit-image', 'amazon/aws-for-fluent-bit:latest'], /is not pinned/],
    ['image on stable', ['--fluent-bit-image', 'amazon/aws-for-fluent-bit:stable'], /is not pinned/],
    ['image with a space', ['--fluent-bit-image', 'amazon/aws for fluent bit:1'], /is not an image reference/],
    ['image with a short digest', ['--fluent-bit-image', 'amazon/aws-for-fluent-bit@sha256:abc'], /is not an image reference/],
    ['registry port without tag', ['--fluent-bit-image', 'localhost:5000/fluent-bit'], /is not pinned/],
    ['CPU request as words', ['--fluent-bit-cpu-request', 'half'], /--fluent-bit-cpu-request "half" is invalid/],
    ['zero memory limit', ['--fluent-bit-memory-limit', '0'], /--fluent-bit-memory-limit "0" is invalid/],
    ['request above limit', ['--fluent-bit-memory-request', '512Mi'], /--fluent-bit-memory-request \(512Mi\) exceeds --fluent-bit-memory-limit \(250Mi\)/],
  ];

  it.each(cases)('rejects %s', (_name, argv, message) => {
    expect(errorOf(argv)).toMatch(message);
  });
});
