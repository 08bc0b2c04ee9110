import { describe, expect, it } from 'vitest';
import type { Microservice, MicroserviceSpec } from '../../../cdk8s/src/api/microservice.ts';
import { DEFAULT_PLATFORM } from '../../../cdk8s/src/api/platform.ts';
import { CONFIG_HASH_ANNOTATION, DesiredStateCache } from '../../../operator/src/microservice/desired.ts';

const microservice = (generation: number, spec: Partial<MicroserviceSpec>): Microservice => ({
  apiVersion: 'flywheel.dev/v1alpha1',
  kind: 'Microservice',
  metadata: { name: 'orders', namespace: 'shop', uid: 'u1', generation },
  spec: { image: 'ghcr.io/acme/orders:1.0.0', ports: [{ name: 'http', port: 80 }], ...spec },
});

const hashes = (spec: Partial<MicroserviceSpec>, generation = 1): Record<string, string | undefined> =>
  Object.fromEntries(
    new DesiredStateCache(DEFAULT_PLATFORM)
      .get(microservice(generation, spec))
      .map((object) => [object.kind, object.metadata.annotations?.[CONFIG_HASH_ANNOTATION]]),
  );

describe('config hash', () => {
  it('is on every desired object', () => {
    expect(Object.values(hashes({})).every((hash) => /^[0-9a-f]{16}$/.test(hash ?? ''))).toBe(true);
  });

  it('is stable for the same spec', () => {
    expect(hashes({ timeout: '5s' }, 1)).toEqual(hashes({ timeout: '5s' }, 2));
  });

  it('changes when a field is removed', () => {
    expect(hashes({}).VirtualService).not.toBe(hashes({ timeout: '5s' }).VirtualService);
  });

  it('stays on objects the change does not touch', () => {
    expect(hashes({}).Deployment).toBe(hashes({ timeout: '5s' }).Deployment);
  });
});
