/** The subset of OpenAPI v3 (apiextensions.k8s.io/v1 JSONSchemaProps) that the CRD uses. */

/** A CEL rule evaluated by the API server (`x-kubernetes-validations`). */
export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  /** JSONPath-like path, relative to the object carrying the rule, reported as the invalid field. */
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema | boolean;
  enum?: unknown[];
  default?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  nullable?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-validations'?: ValidationRule[];
}

/** A part of the spec schema contributed by one feature: its properties and cross-field rules. */
export interface SpecFragment {
  properties: Record<string, Schema>;
  /** Rules that need more than one of the fragment's fields, evaluated on `spec`. */
  rules?: ValidationRule[];
}

export const integer = (description: string, bounds: Partial<Schema> = {}): Schema => ({
  type: 'integer',
  description,
  ...bounds,
});

export const string = (description: string, extra: Partial<Schema> = {}): Schema => ({
  type: 'string',
  description,
  ...extra,
});

/**
 * A Kubernetes-style duration such as "250ms", "5s", "1m30s" or "2h": one or more
 * number-unit pairs with units ms, s, m and h, at least 1ms. Istio and Prometheus both
 * accept this form.
 */
export const DURATION_PATTERN = '^([0-9]+([.][0-9]+)?(ms|s|m|h))+$';

export const duration = (description: string, extra: Partial<Schema> = {}): Schema => ({
  type: 'string',
  description: `${description} A duration such as "250ms", "5s" or "1m30s".`,
  pattern: DURATION_PATTERN,
  maxLength: 32,
  'x-kubernetes-validations': [
    // The pattern's own error shows only the regular expression, so this rule repeats the
    // check with a message that explains how to write the value.
    {
      rule: `self.matches('${DURATION_PATTERN}')`,
      message: 'must be a duration such as "250ms", "5s" or "1m30s": numbers with the units ms, s, m or h, without spaces or a sign',
    },
    // A value that fails the pattern is already reported; skipping it here avoids a
    // confusing "type conversion error" from duration().
    { rule: `!self.matches('${DURATION_PATTERN}') || duration(self) >= duration('1ms')`, message: 'must be at least 1ms' },
  ],
  ...extra,
});
