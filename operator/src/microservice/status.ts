/**
 * Computes a Microservice's status from its live Deployment. Conditions:
 * - Ready: the desired number of pods is available to serve;
 * - Progressing: the Deployment is rolling out a new template or scaling;
 * - Degraded: the rollout failed (progress deadline exceeded, pods that cannot be
 *   created) or the operator could not apply the desired objects.
 * The phase summarises them, worst first: Degraded, Progressing, Ready, else Pending.
 */
import type { Condition, Microservice, MicroserviceStatus, Phase } from '../../../cdk8s/src/api/microservice.ts';

export interface DeploymentCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface DeploymentLike {
  metadata: { name: string; namespace?: string; generation?: number };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    conditions?: DeploymentCondition[];
  };
}

/** A reconcile failure to show in the Degraded condition. */
export interface Failure {
  reason: string;
  message: string;
}

type ConditionInput = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

export function computeStatus(
  microservice: Microservice,
  deployment: DeploymentLike | undefined,
  failure: Failure | undefined,
  now: Date,
): MicroserviceStatus {
  const generation = microservice.metadata.generation;
  const inputs = deployment ? fromDeployment(deployment) : missingDeployment();
  if (failure) {
    inputs.degraded = { type: 'Degraded', status: 'True', reason: failure.reason, message: failure.message };
  }
  const previous = microservice.status?.conditions ?? [];
  const conditions = [inputs.ready, inputs.progressing, inputs.degraded].map((input) =>
    withTransitionTime(input, previous, generation, now),
  );
  return {
    observedGeneration: generation,
    phase: deployment || failure ? phaseOf(inputs) : 'Pending',
    conditions,
    replicas: deployment?.status?.replicas ?? 0,
    readyReplicas: deployment?.status?.readyReplicas ?? 0,
    availableReplicas: deployment?.status?.availableReplicas ?? 0,
    updatedReplicas: deployment?.status?.updatedReplicas ?? 0,
  };
}

interface Inputs {
  ready: ConditionInput;
  progressing: ConditionInput;
  degraded: ConditionInput;
}

function missingDeployment(): Inputs {
  return {
    ready: { type: 'Ready', status: 'False', reason: 'DeploymentNotFound', message: 'the Deployment has not been created yet' },
    progressing: { type: 'Progressing', status: 'True', reason: 'Creating', message: 'creating the Deployment' },
    degraded: { type: 'Degraded', status: 'False', reason: 'AsExpected', message: 'no failure observed' },
  };
}

function fromDeployment(deployment: DeploymentLike): Inputs {
  const status = deployment.status ?? {};
  const desired = deployment.spec?.replicas ?? 1;
  const available = status.availableReplicas ?? 0;
  const updated = status.updatedReplicas ?? 0;
  const total = status.replicas ?? 0;
  const observedCurrent = (status.observedGeneration ?? 0) >= (deployment.metadata.generation ?? 0);
  const name = `${deployment.metadata.namespace}/${deployment.metadata.name}`;
  const condition = (type: string) => status.conditions?.find((candidate) => candidate.type === type);

  const ready: ConditionInput =
    observedCurrent && available >= desired
      ? { type: 'Ready', status: 'True', reason: desired === 0 ? 'ScaledToZero' : 'ReplicasAvailable', message: `${available}/${desired} replicas available` }
      : {
          type: 'Ready',
          status: 'False',
          reason: 'ReplicasUnavailable',
          message: `${available}/${desired} replicas available; waiting for pods to pass their readiness checks`,
        };

  const complete = observedCurrent && updated === desired && total === desired && available >= desired;
  const progressing: ConditionInput = complete
    ? { type: 'Progressing', status: 'False', reason: 'RolloutComplete', message: `all ${desired} replicas run the current template` }
    : {
        type: 'Progressing',
        status: 'True',
        reason: 'RollingOut',
        message: `${updated}/${desired} replicas updated, ${available} available, ${total} in total`,
      };

  const deploymentProgress = condition('Progressing');
  const replicaFailure = condition('ReplicaFailure');
  let degraded: ConditionInput = { type: 'Degraded', status: 'False', reason: 'AsExpected', message: 'no failure observed' };
  if (replicaFailure?.status === 'True') {
    degraded = {
      type: 'Degraded',
      status: 'True',
      reason: 'PodCreationFailed',
      message: `Deployment ${name} cannot create pods: ${replicaFailure.message ?? 'unknown reason'}; fix the cause, the Deployment retries by itself`,
    };
  } else if (deploymentProgress?.status === 'False' && deploymentProgress.reason === 'ProgressDeadlineExceeded') {
    degraded = {
      type: 'Degraded',
      status: 'True',
      reason: 'RolloutStuck',
      message: `Deployment ${name} exceeded its progress deadline: ${deploymentProgress.message ?? ''}; inspect the new pods with kubectl describe pod`,
    };
  }
  return { ready, progressing, degraded };
}

function phaseOf(inputs: Inputs): Phase {
  if (inputs.degraded.status === 'True') return 'Degraded';
  if (inputs.progressing.status === 'True') return 'Progressing';
  if (inputs.ready.status === 'True') return 'Ready';
  return 'Pending';
}

/** Keeps the previous lastTransitionTime while the condition's status stays the same. */
function withTransitionTime(input: ConditionInput, previous: Condition[], generation: number | undefined, now: Date): Condition {
  const before = previous.find((condition) => condition.type === input.type);
  const lastTransitionTime =
    before && before.status === input.status ? before.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { ...input, observedGeneration: generation, lastTransitionTime };
}

/** True when two statuses differ in anything but the conditions' transition times. */
export function statusChanged(current: MicroserviceStatus | undefined, next: MicroserviceStatus): boolean {
  const normalise = (status: MicroserviceStatus | undefined) =>
    canonicalJson({
      ...status,
      conditions: (status?.conditions ?? []).map(({ lastTransitionTime: _time, ...rest }) => rest),
    });
  return normalise(current) !== normalise(next);
}

/** JSON with object keys sorted, because the API server returns keys in its own order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => a.localeCompare(b, 'en'));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
