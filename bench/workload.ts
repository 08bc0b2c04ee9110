/**
 * The benchmark's Microservices and the conditions that count one as converged. Each
 * Microservice is the smallest useful one: one replica, one port, no probes.
 */
import { API_VERSION, KIND, type Microservice } from '../cdk8s/src/api/microservice.ts';
import type { DeploymentLike } from '../operator/src/microservice/status.ts';

export const IMAGES = ['ghcr.io/flywheel-bench/app:1.0.0', 'ghcr.io/flywheel-bench/app:1.0.1'] as const;

export const microserviceName = (index: number): string => `svc-${String(index).padStart(5, '0')}`;

export function benchMicroservice(namespace: string, index: number, image: string): Microservice {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: microserviceName(index), namespace },
    spec: {
      image,
      replicas: 1,
      ports: [{ name: 'http', port: 80, targetPort: 8080 }],
    },
  };
}

/**
 * Returns the test for a Microservice converged on `image`: its status describes the
 * current generation and its phase is Ready, so the Ready condition is True and the
 * rollout is complete. Ready alone is not enough after an image change, because the old
 * pod keeps the Deployment available while the new one starts.
 */
export function microserviceConverged(image: string): (object: Microservice) => boolean {
  return (object) => {
    const status = object.status;
    const ready = status?.conditions?.find((condition) => condition.type === 'Ready');
    return (
      object.spec.image === image &&
      status?.observedGeneration === object.metadata.generation &&
      status?.phase === 'Ready' &&
      ready?.status === 'True'
    );
  };
}

interface DeploymentWithTemplate extends DeploymentLike {
  spec?: DeploymentLike['spec'] & { template?: { spec?: { containers?: Array<{ image?: string }> } } };
}

/** Image of the first container of a Deployment's pod template. */
export const templateImage = (object: DeploymentWithTemplate): string | undefined => object.spec?.template?.spec?.containers?.[0]?.image;

/**
 * Returns the test for a Deployment converged on `image`: the controller observed its
 * current generation, and every desired replica is updated and available with no old
 * pods left. The operator applies the same test before it reports phase Ready.
 */
export function deploymentConverged(image: string): (object: DeploymentWithTemplate) => boolean {
  return (object) => {
    const desired = object.spec?.replicas ?? 1;
    const status = object.status ?? {};
    return (
      templateImage(object) === image &&
      (status.observedGeneration ?? 0) >= (object.metadata.generation ?? 0) &&
      status.updatedReplicas === desired &&
      status.replicas === desired &&
      (status.availableReplicas ?? 0) >= desired
    );
  };
}
