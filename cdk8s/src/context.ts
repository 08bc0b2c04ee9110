/** Names, labels and settings shared by every construct that renders one Microservice. */
import type { Microservice } from './api/microservice.ts';
import type { PlatformSettings } from './api/platform.ts';

export const MANAGED_BY = 'flywheel';
/** Label on every rendered object naming its Microservice, used to find objects to prune. */
export const MICROSERVICE_LABEL = 'flywheel.dev/microservice';
/**
 * Pod label that distinguishes stable pods from canary pods. It is part of the stable Deployment's
 * selector from the first release on, because a Deployment selector cannot change later.
 */
export const TRACK_LABEL = 'flywheel.dev/track';
export const APP_CONTAINER = 'app';

export class RenderContext {
  readonly microservice: Microservice;
  readonly platform: PlatformSettings;

  constructor(microservice: Microservice, platform: PlatformSettings) {
    this.microservice = microservice;
    this.platform = platform;
  }

  get name(): string {
    return this.microservice.metadata.name;
  }

  get namespace(): string {
    return this.microservice.metadata.namespace;
  }

  get spec() {
    return this.microservice.spec;
  }

  /** In-cluster DNS name of the Service, as Istio expects hosts to be written. */
  get serviceHost(): string {
    return `${this.name}.${this.namespace}.svc.cluster.local`;
  }

  /** The recommended app.kubernetes.io labels plus the owner label, on every object. */
  get labels(): Record<string, string> {
    return {
      'app.kubernetes.io/name': this.name,
      'app.kubernetes.io/instance': this.name,
      'app.kubernetes.io/managed-by': MANAGED_BY,
      'app.kubernetes.io/part-of': this.namespace,
      [MICROSERVICE_LABEL]: this.name,
    };
  }

  /** Labels that select all pods of the service, stable and canary alike. */
  get serviceSelector(): Record<string, string> {
    return {
      'app.kubernetes.io/name': this.name,
      'app.kubernetes.io/instance': this.name,
    };
  }

  /** Labels that select the pods of one track of the service. */
  trackSelector(track: 'stable' | 'canary'): Record<string, string> {
    return { ...this.serviceSelector, [TRACK_LABEL]: track };
  }
}
