/**
 * The Microservice CustomResourceDefinition, assembled from one schema fragment per
 * feature. This module is the source of truth: crds/microservices.flywheel.dev.yaml is
 * generated from it by `npm run generate`, and a unit test fails when the two differ.
 */
import { GROUP, KIND, PLURAL, VERSION } from '../../cdk8s/src/api/microservice.ts';
import { logging } from './schema/logging.ts';
import { release } from './schema/release.ts';
import { status } from './schema/status.ts';
import { traffic } from './schema/traffic.ts';
import type { Schema, SpecFragment } from './schema/types.ts';
import { workload } from './schema/workload.ts';

const FRAGMENTS: SpecFragment[] = [workload, traffic, logging, release];

function specSchema(): Schema {
  const properties: Record<string, Schema> = {};
  for (const fragment of FRAGMENTS) {
    for (const [name, schema] of Object.entries(fragment.properties)) {
      if (name in properties) {
        throw new Error(`spec field "${name}" is defined by two schema fragments`);
      }
      properties[name] = schema;
    }
  }
  return {
    type: 'object',
    description: 'Desired state of the service.',
    required: ['image'],
    properties,
    'x-kubernetes-validations': FRAGMENTS.flatMap((fragment) => fragment.rules ?? []),
  };
}

export function microserviceCrd(): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${PLURAL}.${GROUP}`,
      labels: { 'app.kubernetes.io/part-of': 'flywheel' },
    },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: {
        kind: KIND,
        listKind: `${KIND}List`,
        plural: PLURAL,
        singular: 'microservice',
        shortNames: ['ms', 'msvc'],
        categories: ['flywheel'],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
            { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
            { name: 'Image', type: 'string', jsonPath: '.spec.image' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: 'A service that Flywheel runs as a Deployment, Service and supporting objects.',
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: {
                  type: 'object',
                  properties: {
                    // Child object names derive from this name; 63 keeps Service names valid DNS labels.
                    name: { type: 'string', maxLength: 63, pattern: '^[a-z]([-a-z0-9]*[a-z0-9])?$' },
                  },
                },
                spec: specSchema(),
                status,
              },
            },
          },
        },
      ],
    },
  };
}
