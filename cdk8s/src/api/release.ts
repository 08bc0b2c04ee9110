/** Types of the release strategy part of a Microservice spec. */

/** How a new revision replaces the running one. */
export interface ReleaseSpec {
  /** @default "Rolling" */
  strategy?: 'Rolling' | 'Canary';
}
