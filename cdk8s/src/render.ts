/** Renders a Microservice to plain Kubernetes objects in memory, without writing files. */
import { App } from 'cdk8s';
import type { Microservice } from './api/microservice.ts';
import type { PlatformSettings } from './api/platform.ts';
import { MicroserviceChart } from './microservice-chart.ts';
import type { ReleaseRenderState } from './release/state.ts';

/** A rendered object: what the operator server-side applies. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** Renders `microservice`; without `release`, renders the steady state with no canary. */
export function renderMicroservice(microservice: Microservice, platform: PlatformSettings, release?: ReleaseRenderState): KubeObject[] {
  const app = new App();
  const chart = new MicroserviceChart(app, microservice.metadata.name, { microservice, platform, release });
  return chart.toJson() as KubeObject[];
}
