/**
 * Hands a Deployment's replica count over from the operator to an autoscaler without
 * a dip. When the operator's applied configuration stops carrying `spec.replicas`,
 * server-side apply deletes the field if the operator was its only manager. The API
 * server then defaults it to 1 until the HorizontalPodAutoscaler scales back up, one
 * sync period later (15 s by default). Applying the live count first under a second
 * field manager keeps the field owned, so it keeps its value. This is the
 * "transferring ownership" procedure of the Kubernetes server-side apply docs.
 */
import type { KubeObject } from '../../../cdk8s/src/render.ts';
import type { KubeClient } from '../kube/client.ts';
import { isConflict } from '../kube/errors.ts';
import { objectPath, resourceTypeOf } from '../kube/resources.ts';

/** Field manager that owns `spec.replicas` until the autoscaler or `kubectl scale` changes it. */
export const REPLICAS_HANDOFF_MANAGER = 'flywheel-replicas-handoff';

interface WithReplicas {
  spec?: { replicas?: number };
}

/**
 * Applies the live replica count under REPLICAS_HANDOFF_MANAGER when `desired` is a
 * Deployment without replicas and `live` has them. Returns whether it wrote.
 */
export async function handOverReplicas(client: KubeClient, desired: KubeObject, live: KubeObject): Promise<boolean> {
  const liveReplicas = (live as WithReplicas).spec?.replicas;
  if (desired.kind !== 'Deployment' || (desired as WithReplicas).spec?.replicas !== undefined || liveReplicas === undefined) {
    return false;
  }

  const { name, namespace } = desired.metadata;
  const type = resourceTypeOf(desired.apiVersion, desired.kind);
  const handoff = { apiVersion: desired.apiVersion, kind: desired.kind, metadata: { name, namespace }, spec: { replicas: liveReplicas } };
  try {
    // Without force: a conflict means another manager already owns the field with a
    // newer count than the cached one, so the operator's release cannot delete it.
    await client.apply(objectPath(type, namespace, name), handoff, REPLICAS_HANDOFF_MANAGER, false);
  } catch (error) {
    if (isConflict(error)) return false;
    throw new Error(`failed to hand over spec.replicas of Deployment ${namespace}/${name} to the autoscaler`, { cause: error });
  }
  return true;
}
