/**
 * The log-shipping settings of one Microservice: its spec merged with the platform
 * defaults and checked. The CRD enforces the same rules, so these checks matter for
 * callers that render without the API server, such as cdk8s apps and `flywheel synth`.
 */
import {
  LOG_GROUP_MAX_LENGTH,
  LOG_GROUP_PATTERN,
  LOG_GROUP_RESERVED_PREFIX,
  LOG_RETENTION_DAYS,
  type LogParser,
} from '../api/logging.ts';
import type { ResourcesSpec } from '../api/workload.ts';
import type { RenderContext } from '../context.ts';
import { supportsNativeSidecars } from './kubernetes-version.ts';

/** AWS region names such as "us-east-1", "eu-central-2" or "us-gov-west-1". */
export const AWS_REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-[0-9]+$/;

export interface LogShippingSettings {
  logGroup: string;
  /** Undefined leaves a new log group without expiry. */
  retentionDays: number | undefined;
  parser: LogParser;
  region: string;
  image: string;
  resources: ResourcesSpec;
  /** Run the sidecar as an init container with `restartPolicy: Always`. */
  nativeSidecar: boolean;
}

export function isLoggingEnabled(context: RenderContext): boolean {
  return context.spec.logging?.enabled ?? context.platform.logging.enabled;
}

/** The default log group, which is unique per Microservice within an AWS account and region. */
export const defaultLogGroup = (namespace: string, name: string): string => `/flywheel/${namespace}/${name}`;

/** Merges spec and platform settings, and throws when CloudWatch Logs or Kubernetes would reject a value. */
export function resolveLogShipping(context: RenderContext): LogShippingSettings {
  const spec = context.spec.logging ?? {};
  const platform = context.platform.logging;
  const object = `Microservice ${context.namespace}/${context.name}`;

  const logGroup = spec.logGroup ?? defaultLogGroup(context.namespace, context.name);
  const problem = logGroupProblem(logGroup);
  if (problem) {
    throw new Error(`${object}: spec.logging.logGroup "${logGroup}" is invalid: it ${problem}; choose another log group name`);
  }

  const retentionDays = spec.retentionDays;
  if (retentionDays !== undefined && !(LOG_RETENTION_DAYS as readonly number[]).includes(retentionDays)) {
    throw new Error(
      `${object}: spec.logging.retentionDays ${retentionDays} is not accepted by CloudWatch Logs; use one of ${LOG_RETENTION_DAYS.join(', ')}`,
    );
  }

  const parser = spec.parser ?? 'json';
  if (parser !== 'json' && parser !== 'text') {
    throw new Error(`${object}: spec.logging.parser "${String(parser)}" is invalid; use json or text`);
  }

  if (!AWS_REGION_PATTERN.test(platform.region)) {
    throw new Error(`platform logging region "${platform.region}" is not an AWS region name such as us-east-1; set --aws-region`);
  }

  return {
    logGroup,
    retentionDays,
    parser,
    region: platform.region,
    image: platform.fluentBitImage,
    resources: platform.sidecarResources,
    nativeSidecar: supportsNativeSidecars(context.platform.kubernetesVersion),
  };
}

/** Returns why CloudWatch Logs would reject `name` as a log group name, or undefined when it is valid. */
export function logGroupProblem(name: string): string | undefined {
  if (name.length === 0 || name.length > LOG_GROUP_MAX_LENGTH) return `must have 1 to ${LOG_GROUP_MAX_LENGTH} characters`;
  if (!new RegExp(LOG_GROUP_PATTERN).test(name)) return 'may contain only A-Z, a-z, 0-9 and the characters . - _ / #';
  if (name.startsWith(LOG_GROUP_RESERVED_PREFIX)) return `must not start with "${LOG_GROUP_RESERVED_PREFIX}", which CloudWatch Logs reserves`;
  return undefined;
}
