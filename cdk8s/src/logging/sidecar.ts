/** The Fluent Bit container that tails the shared log directory. */
import { k8s } from 'cdk8s-plus-33';
import type { ResourceList } from '../api/workload.ts';
import { APP_CONTAINER, MICROSERVICE_LABEL } from '../context.ts';
import { restrictedContainerSecurity } from '../workload/pod-template.ts';
import {
  APP_CONTAINER_ENV,
  CONFIG_DIR,
  CONFIG_FILE,
  CONFIG_VOLUME,
  FLUENT_BIT_BINARY,
  LOG_DIR,
  LOG_VOLUME,
  MICROSERVICE_ENV,
  POD_NAME_ENV,
  POD_NAMESPACE_ENV,
  SIDECAR_CONTAINER,
  SIDECAR_GROUP_ID,
  SIDECAR_USER_ID,
} from './constants.ts';
import type { LogShippingSettings } from './settings.ts';

/**
 * Builds the sidecar container. With `nativeSidecar` it carries `restartPolicy: Always`
 * and belongs in `initContainers`. Otherwise it is a plain container next to the app.
 */
export function fluentBitContainer(settings: LogShippingSettings): k8s.Container {
  return {
    name: SIDECAR_CONTAINER,
    image: settings.image,
    // Runs the binary directly: the image's entrypoint script would load the Go output
    // plugins too, which this configuration does not use.
    command: [FLUENT_BIT_BINARY, '-c', `${CONFIG_DIR}/${CONFIG_FILE}`],
    restartPolicy: settings.nativeSidecar ? 'Always' : undefined,
    env: [
      fieldEnv(POD_NAME_ENV, 'metadata.name'),
      fieldEnv(POD_NAMESPACE_ENV, 'metadata.namespace'),
      fieldEnv(MICROSERVICE_ENV, `metadata.labels['${MICROSERVICE_LABEL}']`),
      { name: APP_CONTAINER_ENV, value: APP_CONTAINER },
    ],
    resources: {
      requests: quantities(settings.resources.requests),
      limits: quantities(settings.resources.limits),
    },
    securityContext: {
      ...restrictedContainerSecurity(true),
      runAsUser: SIDECAR_USER_ID,
      runAsGroup: SIDECAR_GROUP_ID,
    },
    volumeMounts: [
      { name: LOG_VOLUME, mountPath: LOG_DIR },
      { name: CONFIG_VOLUME, mountPath: CONFIG_DIR, readOnly: true },
    ],
  };
}

const fieldEnv = (name: string, fieldPath: string): k8s.EnvVar => ({ name, valueFrom: { fieldRef: { fieldPath } } });

function quantities(list: ResourceList | undefined): Record<string, k8s.Quantity> | undefined {
  if (!list) return undefined;
  const result: Record<string, k8s.Quantity> = {};
  for (const [resource, value] of Object.entries(list)) {
    if (value !== undefined) result[resource] = k8s.Quantity.fromString(String(value));
  }
  return Object.keys(result).length > 0 ? result : undefined;
}
