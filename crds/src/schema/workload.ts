/** Schema of the workload fields: image, replicas, ports, env, resources, probes, command. */
import { integer, string, type Schema, type SpecFragment, type ValidationRule } from './types.ts';

const PORT_NAME_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const QUANTITY_PATTERN = '^[0-9]+(\\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$';
const ENV_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_.-]*$';
const MAX_PORTS = 32;
const MAX_ENV = 256;

const port: Schema = {
  type: 'object',
  required: ['name', 'port'],
  properties: {
    name: string('Port name, unique within the Microservice; probes refer to ports by name.', {
      pattern: PORT_NAME_PATTERN,
      maxLength: 15,
    }),
    port: integer('Port number on the ClusterIP Service.', { minimum: 1, maximum: 65535 }),
    targetPort: integer('Port number the container listens on. Defaults to `port`.', {
      minimum: 1,
      maximum: 65535,
    }),
    protocol: string('Transport protocol.', { enum: ['TCP', 'UDP', 'SCTP'], default: 'TCP' }),
    appProtocol: string('Application protocol for Istio protocol selection, such as "http" or "grpc".', {
      maxLength: 63,
    }),
  },
};

const keyReference = (what: string): Schema => ({
  type: 'object',
  description: `A key of a ${what} in the Microservice's namespace.`,
  required: ['name', 'key'],
  properties: {
    name: string(`${what} name.`, { minLength: 1, maxLength: 253 }),
    key: string(`Key within the ${what}.`, { minLength: 1, maxLength: 253 }),
    optional: { type: 'boolean', description: 'Leave the variable unset when the object or key is missing.' },
  },
});

const envVar: Schema = {
  type: 'object',
  required: ['name'],
  properties: {
    name: string('Variable name.', { pattern: ENV_NAME_PATTERN, maxLength: 253 }),
    value: string('Literal value.', { maxLength: 32768 }),
    valueFrom: {
      type: 'object',
      description: 'Value read from a Secret or ConfigMap key when the pod starts.',
      properties: {
        secretKeyRef: keyReference('Secret'),
        configMapKeyRef: keyReference('ConfigMap'),
      },
      'x-kubernetes-validations': [
        {
          rule: 'has(self.secretKeyRef) != has(self.configMapKeyRef)',
          message: 'set exactly one of secretKeyRef or configMapKeyRef',
        },
      ],
    },
  },
  'x-kubernetes-validations': [
    { rule: '!(has(self.value) && has(self.valueFrom))', message: 'set value or valueFrom, not both' },
  ],
};

const quantity = (description: string): Schema => ({
  'x-kubernetes-int-or-string': true,
  description: `${description} A Kubernetes quantity such as "250m", "1", "128Mi".`,
  pattern: QUANTITY_PATTERN,
});

const resourceList = (description: string): Schema => ({
  type: 'object',
  description,
  properties: {
    cpu: quantity('CPU.'),
    memory: quantity('Memory.'),
  },
});

const resources: Schema = {
  type: 'object',
  description: 'CPU and memory requests and limits of the application container.',
  properties: {
    requests: resourceList('Resources the scheduler reserves for the container.'),
    limits: resourceList('Maximum resources the container may use.'),
  },
  'x-kubernetes-validations': ['cpu', 'memory'].map(
    (resource): ValidationRule => ({
      rule:
        `!has(self.requests) || !has(self.limits) || !has(self.requests.${resource}) || ` +
        `!has(self.limits.${resource}) || ` +
        `quantity(string(self.requests.${resource})).compareTo(quantity(string(self.limits.${resource}))) <= 0`,
      message: `requests.${resource} must not exceed limits.${resource}`,
      fieldPath: `.requests.${resource}`,
    }),
  ),
};

const probe = (description: string, successThreshold: Schema): Schema => ({
  type: 'object',
  description: `${description} Set exactly one of http or tcp.`,
  properties: {
    http: {
      type: 'object',
      description: 'HTTP GET check; any status from 200 to 399 passes.',
      required: ['path', 'port'],
      properties: {
        path: string('Request path.', { pattern: '^/', maxLength: 2048 }),
        port: string('Name of an entry in spec.ports.', { pattern: PORT_NAME_PATTERN, maxLength: 15 }),
      },
    },
    tcp: {
      type: 'object',
      description: 'TCP connection check.',
      required: ['port'],
      properties: {
        port: string('Name of an entry in spec.ports.', { pattern: PORT_NAME_PATTERN, maxLength: 15 }),
      },
    },
    initialDelaySeconds: integer('Seconds after the container starts before the first check.', {
      minimum: 0,
      maximum: 3600,
    }),
    periodSeconds: integer('Seconds between checks.', { minimum: 1, maximum: 3600, default: 10 }),
    timeoutSeconds: integer('Seconds after which one check counts as failed.', { minimum: 1, maximum: 3600, default: 1 }),
    failureThreshold: integer('Consecutive failures that mark the check failed.', { minimum: 1, maximum: 1000, default: 3 }),
    successThreshold,
  },
  'x-kubernetes-validations': [{ rule: 'has(self.http) != has(self.tcp)', message: 'set exactly one of http or tcp' }],
});

const anySuccessThreshold = integer('Consecutive successes that mark the check passed.', {
  minimum: 1,
  maximum: 1000,
  default: 1,
});
const singleSuccessThreshold = integer('Consecutive successes that mark the check passed; Kubernetes requires 1.', {
  minimum: 1,
  maximum: 1,
  default: 1,
});

const PROBE_KINDS = ['readiness', 'liveness', 'startup'] as const;

/** A probe must name a port that exists: one rule per probe kind and check type. */
const probePortRules: ValidationRule[] = PROBE_KINDS.flatMap((kind) =>
  (['http', 'tcp'] as const).map((check): ValidationRule => {
    const ref = `self.probes.${kind}.${check}.port`;
    return {
      rule:
        `!has(self.probes) || !has(self.probes.${kind}) || !has(self.probes.${kind}.${check}) || ` +
        `(has(self.ports) && self.ports.exists(p, p.name == ${ref}))`,
      messageExpression: `'probe port "' + ${ref} + '" is not the name of any entry in spec.ports'`,
      fieldPath: `.probes.${kind}.${check}.port`,
      reason: 'FieldValueInvalid',
    };
  }),
);

export const workload: SpecFragment = {
  properties: {
    image: string('Container image reference, for example "ghcr.io/acme/orders:1.4.2".', {
      minLength: 1,
      maxLength: 512,
      pattern: '^[^\\s]+$',
    }),
    replicas: integer('Number of pods when autoscaling is off.', { minimum: 0, maximum: 1000, default: 1 }),
    ports: {
      type: 'array',
      description: 'Ports the service listens on, exposed through a ClusterIP Service.',
      maxItems: MAX_PORTS,
      items: port,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
      'x-kubernetes-validations': [
        { rule: 'self.all(p, self.exists_one(q, q.port == p.port))', message: 'port numbers must be unique' },
        {
          rule: 'self.all(p, self.exists_one(q, (has(q.targetPort) ? q.targetPort : q.port) == (has(p.targetPort) ? p.targetPort : p.port)))',
          message: 'target ports must be unique',
        },
      ],
    },
    env: {
      type: 'array',
      description: 'Environment variables of the application container.',
      maxItems: MAX_ENV,
      items: envVar,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
    },
    resources,
    probes: {
      type: 'object',
      description: 'Health checks of the application container.',
      properties: {
        readiness: probe('Passing means the pod receives traffic.', anySuccessThreshold),
        liveness: probe('Failing restarts the container.', singleSuccessThreshold),
        startup: probe('Holds the other checks until it passes once.', singleSuccessThreshold),
      },
    },
    command: {
      type: 'array',
      description: "Replaces the image's ENTRYPOINT.",
      maxItems: 64,
      items: string('Argument.', { maxLength: 4096 }),
    },
    args: {
      type: 'array',
      description: "Replaces the image's CMD.",
      maxItems: 256,
      items: string('Argument.', { maxLength: 4096 }),
    },
    security: {
      type: 'object',
      description: 'Process identity. Pods always run as non-root with all capabilities dropped.',
      properties: {
        runAsUser: integer("User ID of the containers. Defaults to the image's USER, which must not be root.", {
          minimum: 1,
          maximum: 2147483647,
        }),
        runAsGroup: integer("Group ID of the containers. Defaults to the image's group.", {
          minimum: 0,
          maximum: 2147483647,
        }),
        readOnlyRootFilesystem: {
          type: 'boolean',
          description: 'Mount the root filesystem read-only; /tmp stays writable.',
          default: true,
        },
      },
    },
  },
  rules: probePortRules,
};
