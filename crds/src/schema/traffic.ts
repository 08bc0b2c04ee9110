/** Schema of the mesh, traffic resilience, scaling and identity fields. */
import type { SpecFragment } from './types.ts';

export const traffic: SpecFragment = {
  properties: {
    mesh: {
      type: 'object',
      description: 'Istio settings for this service.',
      properties: {
        enabled: {
          type: 'boolean',
          description: 'Render Istio objects for this service when the platform enables the mesh.',
          default: true,
        },
      },
    },
  },
};
