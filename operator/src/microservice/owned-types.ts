/** The kinds of object a Microservice can own, which the operator caches and prunes. */
import type { PlatformSettings } from '../../../cdk8s/src/api/platform.ts';
import {
  CONFIG_MAP,
  DEPLOYMENT,
  DESTINATION_RULE,
  HPA,
  PDB,
  SERVICE,
  SERVICE_ACCOUNT,
  VIRTUAL_SERVICE,
  apiVersionOf,
  type ResourceType,
} from '../kube/resources.ts';

export function ownedTypes(platform: PlatformSettings): ResourceType[] {
  const types = [DEPLOYMENT, SERVICE, SERVICE_ACCOUNT, CONFIG_MAP, HPA, PDB];
  // Istio kinds exist only where Istio's CRDs are installed, so they are watched only with the mesh on.
  if (platform.mesh.enabled) types.push(DESTINATION_RULE, VIRTUAL_SERVICE);
  return types;
}

export const typeKey = (apiVersion: string, kind: string): string => `${apiVersion}/${kind}`;

export const typeKeyOf = (type: ResourceType): string => typeKey(apiVersionOf(type), type.kind);
