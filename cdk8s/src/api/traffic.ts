/** Types of the traffic, scaling and identity part of a Microservice spec. */

/** Istio DestinationRule and VirtualService settings. */
export interface MeshSpec {
  /** Render Istio objects for this service when the platform enables the mesh. @default true */
  enabled?: boolean;
}
