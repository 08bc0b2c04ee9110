/**
 * Log shipping: the app writes log files to a shared emptyDir, and a Fluent Bit sidecar
 * tails them and sends each line to CloudWatch Logs. A sidecar cannot read another
 * container's stdout without a hostPath mount, which Pod Security "restricted" forbids,
 * so the files are the contract (docs/logging.md). This construct emits the ConfigMap
 * and extends the pod template, so it must run before the Deployment is built.
 */
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-33';
import type { RenderContext } from '../context.ts';
import type { PodTemplateBuilder } from '../workload/pod-template.ts';
import {
  CONFIG_HASH_ANNOTATION,
  CONFIG_VOLUME,
  DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS,
  LOG_DIR,
  LOG_DIR_ENV,
  LOG_VOLUME,
  SIDECAR_GROUP_ID,
} from './constants.ts';
import { configHash, fluentBitGraceSeconds, renderFluentBitConfig } from './fluent-bit-config.ts';
import { isLoggingEnabled, resolveLogShipping } from './settings.ts';
import { fluentBitContainer } from './sidecar.ts';

export interface LogShippingProps {
  readonly context: RenderContext;
  readonly pod: PodTemplateBuilder;
  /**
   * Name of the Deployment that runs the pod, from which the ConfigMap name derives, so
   * that the stable and canary tracks each get their own configuration.
   * @default the Microservice name
   */
  readonly name?: string;
}

/** Name of the ConfigMap with the Fluent Bit configuration of the pods of Deployment `deployment`. */
export const fluentBitConfigMapName = (deployment: string): string => `${deployment}-fluent-bit`;

export class LogShipping extends Construct {
  constructor(scope: Construct, id: string, props: LogShippingProps) {
    super(scope, id);
    const { context, pod } = props;
    if (!isLoggingEnabled(context)) return;

    const settings = resolveLogShipping(context);
    assertUnclaimed(context, pod);

    // Fluent Bit's Grace is derived from this period, so it is fixed here. A feature that
    // changes it later in the chart would leave the two out of step.
    pod.terminationGracePeriodSeconds ??= DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
    const files = renderFluentBitConfig({
      ...settings,
      graceSeconds: fluentBitGraceSeconds(pod.terminationGracePeriodSeconds),
    });
    const configMapName = fluentBitConfigMapName(props.name ?? context.name);
    new k8s.KubeConfigMap(this, 'config', {
      metadata: { name: configMapName, labels: context.labels },
      data: files,
    });

    pod.volumes.push({ name: LOG_VOLUME, emptyDir: {} }, { name: CONFIG_VOLUME, configMap: { name: configMapName } });
    pod.appVolumeMounts.push({ name: LOG_VOLUME, mountPath: LOG_DIR });
    pod.appEnv.push({ name: LOG_DIR_ENV, value: LOG_DIR });
    pod.fsGroup ??= SIDECAR_GROUP_ID;
    // Fluent Bit reads its configuration only at start, so a new hash rolls the pods onto the new one.
    pod.annotations[CONFIG_HASH_ANNOTATION] = configHash(files);

    const container = fluentBitContainer(settings);
    if (settings.nativeSidecar) pod.initContainers.push(container);
    else pod.sidecars.push(container);
  }
}

/** Rejects a spec or another feature that already uses a name this construct adds. */
function assertUnclaimed(context: RenderContext, pod: PodTemplateBuilder): void {
  if (pod.appEnv.some((env) => env.name === LOG_DIR_ENV)) {
    throw new Error(
      `Microservice ${context.namespace}/${context.name}: spec.env sets ${LOG_DIR_ENV}, which logging sets to ${LOG_DIR}; ` +
        'remove it from spec.env or set spec.logging.enabled to false',
    );
  }
  for (const volume of [LOG_VOLUME, CONFIG_VOLUME]) {
    if (pod.volumes.some((existing) => existing.name === volume)) {
      throw new Error(`pod volume "${volume}" is added twice; another feature of the chart uses the name that logging needs`);
    }
  }
}
