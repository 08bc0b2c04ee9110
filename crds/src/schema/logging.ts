/** Schema of the logging fields. */
import {
  LOG_GROUP_MAX_LENGTH,
  LOG_GROUP_PATTERN,
  LOG_GROUP_RESERVED_PREFIX,
  LOG_RETENTION_DAYS,
} from '../../../cdk8s/src/api/logging.ts';
import { LOG_DIR_ENV } from '../../../cdk8s/src/logging/constants.ts';
import { string, type SpecFragment } from './types.ts';

export const logging: SpecFragment = {
  properties: {
    logging: {
      type: 'object',
      description: 'Fluent Bit sidecar that ships the log files of the service to CloudWatch Logs.',
      properties: {
        enabled: { type: 'boolean', description: "Defaults to the platform's logging setting." },
        logGroup: string(
          'CloudWatch Logs log group, created by the sidecar when missing. Defaults to "/flywheel/<namespace>/<name>".',
          {
            minLength: 1,
            maxLength: LOG_GROUP_MAX_LENGTH,
            pattern: LOG_GROUP_PATTERN,
            'x-kubernetes-validations': [
              {
                rule: `!self.startsWith('${LOG_GROUP_RESERVED_PREFIX}')`,
                message: `must not start with "${LOG_GROUP_RESERVED_PREFIX}", which CloudWatch Logs reserves`,
              },
            ],
          },
        ),
        retentionDays: {
          type: 'integer',
          description:
            'Days CloudWatch Logs keeps events of a log group that the sidecar creates; an existing group keeps its retention. Defaults to no expiry.',
          enum: [...LOG_RETENTION_DAYS],
        },
        parser: string(
          '"json" reads each line as a JSON object and takes the event time from its "timestamp" field; "text" ships each line as the "log" field.',
          { enum: ['json', 'text'], default: 'json' },
        ),
      },
    },
  },
  rules: [
    {
      // Logging may be on through the platform default, which the API server cannot see,
      // so only an explicit `enabled: false` lets the spec set the variable itself.
      rule:
        `!has(self.env) || !self.env.exists(e, e.name == '${LOG_DIR_ENV}') || ` +
        '(has(self.logging) && has(self.logging.enabled) && !self.logging.enabled)',
      message: `env ${LOG_DIR_ENV} is set by log shipping; remove it from spec.env, or set spec.logging.enabled to false`,
      fieldPath: '.env',
      reason: 'FieldValueForbidden',
    },
  ],
};
