/** Schema of the logging fields. */
import type { SpecFragment } from './types.ts';

export const logging: SpecFragment = {
  properties: {
    logging: {
      type: 'object',
      description: 'Fluent Bit sidecar that ships the log files of the service to CloudWatch Logs.',
      properties: {
        enabled: { type: 'boolean', description: "Defaults to the platform's logging setting." },
      },
    },
  },
};
