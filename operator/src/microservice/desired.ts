/**
 * Renders the desired objects of a Microservice and remembers them per generation, so
 * the many reconciles caused by child status changes do not re-render an unchanged spec.
 */
import { API_VERSION, KIND, type Microservice } from '../../../cdk8s/src/api/microservice.ts';
import type { PlatformSettings } from '../../../cdk8s/src/api/platform.ts';
import { renderMicroservice, type KubeObject } from '../../../cdk8s/src/render.ts';

interface Entry {
  generation: number | undefined;
  objects: KubeObject[];
}

export class DesiredStateCache {
  private readonly platform: PlatformSettings;
  private readonly entries = new Map<string, Entry>();

  constructor(platform: PlatformSettings) {
    this.platform = platform;
  }

  get(microservice: Microservice): KubeObject[] {
    const uid = microservice.metadata.uid ?? `${microservice.metadata.namespace}/${microservice.metadata.name}`;
    const cached = this.entries.get(uid);
    if (cached && cached.generation !== undefined && cached.generation === microservice.metadata.generation) {
      return cached.objects;
    }
    const objects = renderMicroservice(microservice, this.platform).map((object) => withOwner(object, microservice));
    this.entries.set(uid, { generation: microservice.metadata.generation, objects });
    return objects;
  }

  forget(uid: string | undefined): void {
    if (uid) this.entries.delete(uid);
  }
}

function withOwner(object: KubeObject, owner: Microservice): KubeObject {
  return {
    ...object,
    metadata: {
      ...object.metadata,
      ownerReferences: [
        {
          apiVersion: API_VERSION,
          kind: KIND,
          name: owner.metadata.name,
          uid: owner.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
  };
}
