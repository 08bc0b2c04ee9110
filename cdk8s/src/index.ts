/** Public entry point of the Flywheel constructs, for use in your own cdk8s apps. */
export * from './api/microservice.ts';
export * from './api/platform.ts';
export type * from './api/workload.ts';
export type * from './api/traffic.ts';
export type * from './api/logging.ts';
export type * from './api/release.ts';
export { RenderContext, MANAGED_BY, MICROSERVICE_LABEL, TRACK_LABEL, APP_CONTAINER } from './context.ts';
export { MicroserviceChart, type MicroserviceChartProps } from './microservice-chart.ts';
export { renderMicroservice, type KubeObject } from './render.ts';
export { REVISION_LABEL, revisionOf } from './release/revision.ts';
export { canaryName, type ReleaseRenderState } from './release/state.ts';
export { PodTemplateBuilder, restrictedContainerSecurity } from './workload/pod-template.ts';
export { WorkloadDeployment, type WorkloadDeploymentProps } from './workload/deployment.ts';
export { WorkloadService, type WorkloadServiceProps } from './workload/service.ts';
