/**
 * Checks a Microservice against the CRD's structural schema and fills in the schema's
 * defaults, as the API server does before the operator sees the object. `flywheel synth`
 * renders the defaulted object, so its output matches what the operator renders.
 *
 * Covered: types, required fields, unknown fields, enum, pattern, length, range and item
 * count bounds, and unique keys of list-type map and set lists. Null values of fields
 * that are not nullable are dropped and then defaulted, as apiextensions.k8s.io/v1 does.
 */
import { microserviceCrd } from '../../../crds/src/crd.ts';
import type { Schema } from '../../../crds/src/schema/types.ts';

/** A path into an object: property names and list indexes. */
export type FieldPath = Array<string | number>;

export interface FieldError {
  path: FieldPath;
  message: string;
}

/** Formats a path as the API server does in its messages: spec.ports[1].name. */
export function formatPath(path: FieldPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text ? `.${segment}` : segment;
  }
  return text || '<root>';
}

const show = (value: unknown): string => JSON.stringify(value) ?? String(value);

/** The message for a field the schema does not define, naming the command that lists the valid ones. */
function unknownField(parent: FieldPath): string {
  const fields = parent.filter((segment) => typeof segment === 'string');
  return `unknown field; \`kubectl explain ${['microservice', ...fields].join('.')}\` lists the valid fields`;
}

/** The openAPIV3Schema of the served Microservice version. */
export function microserviceSchema(): Schema {
  const crd = microserviceCrd() as { spec: { versions: Array<{ schema: { openAPIV3Schema: Schema } }> } };
  const version = crd.spec.versions[0];
  if (!version) throw new Error('the Microservice CRD defines no version; check crds/src/crd.ts');
  return version.schema.openAPIV3Schema;
}

/**
 * Validates `object` in place against `schema`, adding defaults to it, and returns the
 * errors found. `metadata` is checked as ObjectMeta (name, namespace, labels,
 * annotations), and `status` is skipped because the API server ignores it on create.
 *
 * NOTE: the CRD's CEL rules (x-kubernetes-validations), such as "requests must not
 * exceed limits", are not evaluated here; the API server checks them. Run
 * `kubectl apply --dry-run=server -f` on the Microservice to check them before a merge.
 */
export function validateMicroservice(object: Record<string, unknown>, schema: Schema = microserviceSchema()): FieldError[] {
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(object)) {
    if (key === 'status' || key === 'metadata') continue;
    const property = schema.properties?.[key];
    if (!property) errors.push({ path: [key], message: unknownField([]) });
    else visit(object, key, property, [key], errors);
  }
  for (const key of schema.required ?? []) {
    if (object[key] === undefined) errors.push({ path: [key], message: 'Required value' });
  }
  validateMetadata(object.metadata, schema.properties?.metadata, errors);
  return errors;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function validateMetadata(metadata: unknown, schema: Schema | undefined, errors: FieldError[]): void {
  if (!isRecord(metadata)) {
    errors.push({ path: ['metadata'], message: 'Required value: an object with at least a name' });
    return;
  }
  if (metadata.name === undefined || metadata.name === '') {
    errors.push({ path: ['metadata', 'name'], message: 'Required value' });
  } else if (schema?.properties?.name) {
    visit(metadata, 'name', schema.properties.name, ['metadata', 'name'], errors);
  }
  const namespace = metadata.namespace;
  if (namespace !== undefined && (typeof namespace !== 'string' || namespace.length > 63 || !DNS_LABEL.test(namespace))) {
    errors.push({ path: ['metadata', 'namespace'], message: `Invalid value: ${show(namespace)}: must be a DNS label such as "shop"` });
  }
  for (const key of ['labels', 'annotations']) {
    const map = metadata[key];
    if (map === undefined || map === null) continue;
    if (!isRecord(map)) {
      errors.push({ path: ['metadata', key], message: 'Invalid value: must be a map of strings' });
      continue;
    }
    for (const [name, value] of Object.entries(map)) {
      if (typeof value !== 'string') {
        errors.push({ path: ['metadata', key, name], message: `Invalid value: ${show(value)}: must be a string; quote it in YAML` });
      }
    }
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Validates container[key], after dropping a non-nullable null and filling a default. */
function visit(container: Record<string, unknown> | unknown[], key: string | number, schema: Schema, path: FieldPath, errors: FieldError[]): void {
  const record = container as Record<string | number, unknown>;
  if (record[key] === null && !schema.nullable) {
    if (Array.isArray(container)) {
      errors.push({ path, message: 'Invalid value: null' });
      return;
    }
    delete record[key];
  }
  if (record[key] === undefined && schema.default !== undefined) {
    record[key] = structuredClone(schema.default);
  }
  const value = record[key];
  if (value === undefined || value === null) return;
  checkValue(value, schema, path, errors);
}

function checkValue(value: unknown, schema: Schema, path: FieldPath, errors: FieldError[]): void {
  const typeError = checkType(value, schema);
  if (typeError) {
    errors.push({ path, message: `Invalid value: ${show(value)}: ${typeError}` });
    return;
  }
  if (schema.enum && !schema.enum.includes(value)) {
    errors.push({ path, message: `Unsupported value: ${show(value)}: supported values: ${schema.enum.map(show).join(', ')}` });
  }
  if (typeof value === 'string') checkString(value, schema, path, errors);
  if (typeof value === 'number') checkNumber(value, schema, path, errors);
  if (Array.isArray(value)) checkArray(value, schema, path, errors);
  else if (isRecord(value)) checkObject(value, schema, path, errors);
}

function checkType(value: unknown, schema: Schema): string | undefined {
  if (schema['x-kubernetes-int-or-string']) {
    return typeof value === 'string' || Number.isInteger(value) ? undefined : 'must be an integer or a string';
  }
  switch (schema.type) {
    case 'object':
      return isRecord(value) ? undefined : 'must be an object';
    case 'array':
      return Array.isArray(value) ? undefined : 'must be a list';
    case 'string':
      return typeof value === 'string' ? undefined : 'must be a string; quote it in YAML';
    case 'integer':
      return Number.isInteger(value) ? undefined : 'must be an integer';
    case 'number':
      return typeof value === 'number' ? undefined : 'must be a number';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    default:
      return undefined;
  }
}

function checkString(value: string, schema: Schema, path: FieldPath, errors: FieldError[]): void {
  // OpenAPI counts characters, not UTF-16 code units.
  const length = [...value].length;
  if (schema.minLength !== undefined && length < schema.minLength) {
    errors.push({ path, message: `Invalid value: ${show(value)}: must be at least ${schema.minLength} characters long` });
  }
  if (schema.maxLength !== undefined && length > schema.maxLength) {
    errors.push({ path, message: `Too long: must have at most ${schema.maxLength} characters, got ${length}` });
  }
  if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) {
    errors.push({ path, message: `Invalid value: ${show(value)}: ${patternMessage(schema, schema.pattern)}` });
  }
}

/**
 * Returns the message of a CEL rule that repeats the pattern check in words, as the
 * duration fields have, else names the pattern. Other CEL rules are not evaluated here.
 */
function patternMessage(schema: Schema, pattern: string): string {
  const rule = schema['x-kubernetes-validations']?.find((validation) => validation.rule === `self.matches('${pattern}')`);
  return rule?.message ?? `must match the pattern ${pattern}`;
}

function checkNumber(value: number, schema: Schema, path: FieldPath, errors: FieldError[]): void {
  if (schema.minimum !== undefined) {
    const below = schema.exclusiveMinimum ? value <= schema.minimum : value < schema.minimum;
    if (below) {
      const bound = schema.exclusiveMinimum ? 'greater than' : 'greater than or equal to';
      errors.push({ path, message: `Invalid value: ${value}: must be ${bound} ${schema.minimum}` });
    }
  }
  if (schema.maximum !== undefined && value > schema.maximum) {
    errors.push({ path, message: `Invalid value: ${value}: must be less than or equal to ${schema.maximum}` });
  }
}

function checkArray(value: unknown[], schema: Schema, path: FieldPath, errors: FieldError[]): void {
  if (schema.minItems !== undefined && value.length < schema.minItems) {
    errors.push({ path, message: `Invalid value: must have at least ${schema.minItems} items` });
  }
  if (schema.maxItems !== undefined && value.length > schema.maxItems) {
    errors.push({ path, message: `Too many: ${value.length}: must have at most ${schema.maxItems} items` });
  }
  if (schema.items) {
    for (let index = 0; index < value.length; index += 1) visit(value, index, schema.items, [...path, index], errors);
  }
  checkListUniqueness(value, schema, path, errors);
}

/** Reports duplicates the way the API server does for list-type map (by key) and set lists. */
function checkListUniqueness(value: unknown[], schema: Schema, path: FieldPath, errors: FieldError[]): void {
  const listType = schema['x-kubernetes-list-type'];
  if (listType !== 'map' && listType !== 'set') return;
  const keys = schema['x-kubernetes-list-map-keys'] ?? [];
  const seen = new Set<string>();
  value.forEach((item, index) => {
    const identity =
      listType === 'map' && isRecord(item) ? JSON.stringify(keys.map((key) => item[key])) : JSON.stringify(item);
    if (seen.has(identity)) {
      const duplicate = listType === 'map' && isRecord(item) ? `{${keys.map((key) => `"${key}":${show(item[key])}`).join(',')}}` : show(item);
      errors.push({ path: [...path, index], message: `Duplicate value: ${duplicate}` });
    }
    seen.add(identity);
  });
}

function checkObject(value: Record<string, unknown>, schema: Schema, path: FieldPath, errors: FieldError[]): void {
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  const additional = schema.additionalProperties;
  for (const key of Object.keys(value)) {
    const property = schema.properties?.[key];
    if (property) visit(value, key, property, [...path, key], errors);
    else if (typeof additional === 'object') visit(value, key, additional, [...path, key], errors);
    else if (!preserve && additional !== true) errors.push({ path: [...path, key], message: unknownField(path) });
  }
  // Absent properties with a default; visit() fills the default and then its own defaults.
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    if (!(key in value) && property.default !== undefined) visit(value, key, property, [...path, key], errors);
  }
  for (const key of schema.required ?? []) {
    if (value[key] === undefined) errors.push({ path: [...path, key], message: 'Required value' });
  }
  if (schema.maxProperties !== undefined && Object.keys(value).length > schema.maxProperties) {
    errors.push({ path, message: `Too many: must have at most ${schema.maxProperties} entries` });
  }
}
