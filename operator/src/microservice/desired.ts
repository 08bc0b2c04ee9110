/**
 * Renders the desired objects of a Microservice and remembers them per generation, so
 * the many reconciles caused by child status changes do not re-render an unchanged spec.
 */
import { createHash } from 'node:crypto';
import { API_VERSION, KIND, type Microservice } from '../../../cdk8s/src/api/microservice.ts';
import type { PlatformSettings } from '../../../cdk8s/src/api/platform.ts';
import type { ReleaseRenderState } from '../../../cdk8s/src/release/state.ts';
import { renderMicroservice, type KubeObject } from '../../../cdk8s/src/render.ts';

interface Entry {
  generation: number | undefined;
  /** The release render state the objects were rendered with, as JSON. */
  release: string;
  objects: KubeObject[];
}

export class DesiredStateCache {
  private readonly platform: PlatformSettings;
  private readonly entries = new Map<string, Entry>();

  constructor(platform: PlatformSettings) {
    this.platform = platform;
  }

  /** Returns the objects of `microservice`, rendered with the decisions of its running release. */
  get(microservice: Microservice, release?: ReleaseRenderState): KubeObject[] {
    const uid = microservice.metadata.uid ?? `${microservice.metadata.namespace}/${microservice.metadata.name}`;
    const cached = this.entries.get(uid);
    const releaseKey = JSON.stringify(release ?? null);
    if (cached && cached.generation !== undefined && cached.generation === microservice.metadata.generation && cached.release === releaseKey) {
      return cached.objects;
    }
    const objects = renderMicroservice(microservice, this.platform, release).map((object) =>
      withConfigHash(withOwner(object, microservice)),
    );
    this.entries.set(uid, { generation: microservice.metadata.generation, release: releaseKey, objects });
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

/**
 * Annotation with a hash of the object as the operator applies it. The reconciler skips
 * an apply when the live object already has every desired field, which cannot notice a
 * field the spec no longer renders (a removed timeout, a removed IAM role). The hash
 * changes whenever the rendered object does, removals included, so such a change is
 * applied and server-side apply deletes the fields that the operator stopped sending.
 */
export const CONFIG_HASH_ANNOTATION = 'flywheel.dev/config-hash';

function withConfigHash(object: KubeObject): KubeObject {
  // cdk8s renders object keys in sorted order, so equal objects give equal JSON.
  const hash = createHash('sha256').update(JSON.stringify(object)).digest('hex').slice(0, 16);
  return {
    ...object,
    metadata: { ...object.metadata, annotations: { ...object.metadata.annotations, [CONFIG_HASH_ANNOTATION]: hash } },
  };
}
