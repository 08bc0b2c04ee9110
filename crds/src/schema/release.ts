/** Schema of the release strategy fields. */
import type { SpecFragment } from './types.ts';

export const release: SpecFragment = {
  properties: {
    release: {
      type: 'object',
      description: 'How a new revision replaces the running one.',
      properties: {
        strategy: { type: 'string', enum: ['Rolling', 'Canary'], default: 'Rolling' },
      },
    },
  },
};
