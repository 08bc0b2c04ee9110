/**
 * Revisions of a Microservice: a short hash of the spec fields that shape its pods. The
 * hash covers the spec, not the rendered objects, so an operator upgrade that renders
 * pods differently starts no canary release while the specs stay the same.
 */
import { createHash } from 'node:crypto';
import type { MicroserviceSpec } from '../api/microservice.ts';

/** Pod label carrying the revision, for metric queries and for telling tracks apart. */
export const REVISION_LABEL = 'flywheel.dev/revision';

/**
 * Spec fields that change the pod template. A change to any of them is a new revision;
 * a change to any other field (replicas, mesh, release) applies without a release.
 */
export const POD_FIELDS = ['image', 'command', 'args', 'env', 'ports', 'resources', 'probes', 'security', 'logging'] as const;

type PodFields = Pick<MicroserviceSpec, (typeof POD_FIELDS)[number]>;

const REVISION_LENGTH = 10;

// NOTE: the hash covers the spec as the API server stores it, defaults included. A CRD
// upgrade that adds a default to a pod field changes every revision and so starts a
// release for every Canary Microservice.

/** Returns the revision of `spec`: the first 10 hex digits of the SHA-256 of its pod fields. */
export function revisionOf(spec: MicroserviceSpec): string {
  return createHash('sha256').update(canonicalJson(podFieldsOf(spec))).digest('hex').slice(0, REVISION_LENGTH);
}

export function podFieldsOf(spec: MicroserviceSpec): PodFields {
  const fields: Record<string, unknown> = {};
  for (const field of POD_FIELDS) {
    if (spec[field] !== undefined) fields[field] = spec[field];
  }
  return fields as PodFields;
}

/**
 * Returns the spec the stable track renders: pod fields from `stableSpec`, everything
 * else from the current spec, so a replica or mesh change applies during a release too.
 */
export function stableTrackSpec(spec: MicroserviceSpec, stableSpec: MicroserviceSpec): MicroserviceSpec {
  const merged: Record<string, unknown> = { ...spec };
  for (const field of POD_FIELDS) delete merged[field];
  return { ...(merged as Omit<MicroserviceSpec, keyof PodFields>), ...podFieldsOf(stableSpec), image: stableSpec.image };
}

/** JSON with object keys sorted, so the hash does not depend on key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
