import { describe, expect, it } from 'vitest';
import type { Microservice } from '../../../cdk8s/src/api/microservice.ts';
import { computeStatus, statusChanged, type DeploymentLike } from '../../../operator/src/microservice/status.ts';

const NOW = new Date('2026-01-01T00:00:00Z');

const microservice = (status?: Microservice['status']): Microservice => ({
  apiVersion: 'flywheel.dev/v1alpha1',
  kind: 'Microservice',
  metadata: { name: 'orders', namespace: 'shop', generation: 2 },
  spec: { image: 'orders:1' },
  status,
});

const deployment = (status: DeploymentLike['status'], replicas = 3, generation = 1): DeploymentLike => ({
  metadata: { name: 'orders', namespace: 'shop', generation },
  spec: { replicas },
  status: { observedGeneration: generation, ...status },
});

const condition = (status: ReturnType<typeof computeStatus>, type: string) =>
  status.conditions?.find((candidate) => candidate.type === type);

describe('computeStatus', () => {
  it('is Pending without a Deployment', () => {
    const status = computeStatus(microservice(), undefined, undefined, NOW);
    expect(status.phase).toBe('Pending');
    expect(condition(status, 'Ready')?.status).toBe('False');
  });

  it('is Ready when all replicas are available', () => {
    const status = computeStatus(
      microservice(),
      deployment({ replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 }),
      undefined,
      NOW,
    );
    expect(status.phase).toBe('Ready');
    expect(condition(status, 'Ready')?.status).toBe('True');
    expect(condition(status, 'Progressing')?.status).toBe('False');
    expect(status.observedGeneration).toBe(2);
  });

  it('is Progressing during a rollout', () => {
    const status = computeStatus(
      microservice(),
      deployment({ replicas: 4, updatedReplicas: 1, readyReplicas: 3, availableReplicas: 3 }),
      undefined,
      NOW,
    );
    expect(status.phase).toBe('Progressing');
    expect(condition(status, 'Ready')?.status).toBe('True');
  });

  it('is not Ready before the Deployment observes its generation', () => {
    const live = deployment({ replicas: 3, updatedReplicas: 3, availableReplicas: 3 }, 3, 2);
    live.status!.observedGeneration = 1;
    const status = computeStatus(microservice(), live, undefined, NOW);
    expect(condition(status, 'Ready')?.status).toBe('False');
  });

  it('is Degraded when the progress deadline passed', () => {
    const status = computeStatus(
      microservice(),
      deployment({
        replicas: 3,
        updatedReplicas: 1,
        availableReplicas: 2,
        conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'timed out' }],
      }),
      undefined,
      NOW,
    );
    expect(status.phase).toBe('Degraded');
    expect(condition(status, 'Degraded')?.reason).toBe('RolloutStuck');
  });

  it('is Degraded when pods cannot be created', () => {
    const status = computeStatus(
      microservice(),
      deployment({ replicas: 0, conditions: [{ type: 'ReplicaFailure', status: 'True', message: 'forbidden' }] }),
      undefined,
      NOW,
    );
    expect(condition(status, 'Degraded')?.reason).toBe('PodCreationFailed');
    expect(condition(status, 'Degraded')?.message).toContain('forbidden');
  });

  it('reports a reconcile failure', () => {
    const status = computeStatus(microservice(), undefined, { reason: 'OwnershipConflict', message: 'taken' }, NOW);
    expect(status.phase).toBe('Degraded');
    expect(condition(status, 'Degraded')?.message).toBe('taken');
  });

  it('keeps transition times of unchanged conditions', () => {
    const first = computeStatus(microservice(), undefined, undefined, NOW);
    const later = computeStatus(microservice(first), undefined, undefined, new Date('2026-02-01T00:00:00Z'));
    expect(condition(later, 'Ready')?.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
  });
});

describe('statusChanged', () => {
  it('ignores key order and transition times', () => {
    const status = computeStatus(microservice(), undefined, undefined, NOW);
    const reordered = JSON.parse(JSON.stringify(status, Object.keys(status).sort())) as typeof status;
    const moved = { ...status, conditions: status.conditions?.map((c) => ({ ...c, lastTransitionTime: 'x' })) };
    expect(statusChanged({ ...reordered, conditions: status.conditions }, moved)).toBe(false);
  });

  it('sees a phase change', () => {
    const status = computeStatus(microservice(), undefined, undefined, NOW);
    expect(statusChanged(status, { ...status, phase: 'Ready' })).toBe(true);
  });
});
