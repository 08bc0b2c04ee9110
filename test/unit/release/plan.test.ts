import { describe, expect, it } from 'vitest';
import type { MicroserviceSpec } from '../../../cdk8s/src/api/microservice.ts';
import type { CanarySpec, ReleaseStatus } from '../../../cdk8s/src/api/release.ts';
import { REVISION_LABEL, revisionOf } from '../../../cdk8s/src/release/revision.ts';
import { analysisDue, planRelease } from '../../../operator/src/release/plan.ts';
import { canaryReplicasFor, stableReplicasFor } from '../../../operator/src/release/tracks.ts';
import type { AnalysisRun, ObservedDeployment, PlanInput, ReleaseObservation } from '../../../operator/src/release/types.ts';

const T0 = new Date('2026-01-01T00:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

const canary: CanarySpec = {
  steps: [{ setWeight: 20 }, { pause: { duration: '10s' } }, { setWeight: 100 }],
  scaleDownDelaySeconds: 30,
  abortScaleDownDelaySeconds: 5,
};

const spec = (image: string, extra: Partial<MicroserviceSpec> = {}): MicroserviceSpec => ({
  image,
  replicas: 4,
  release: { strategy: 'Canary', canary },
  ...extra,
});

const V1 = spec('orders:1');
const V2 = spec('orders:2');

/** A live Deployment that has rolled out `replicas` pods of `image`'s revision. */
const deployment = (name: string, target: MicroserviceSpec, replicas: number, available = replicas): ObservedDeployment => ({
  metadata: { name, generation: 1 },
  spec: { replicas, template: { metadata: { labels: { [REVISION_LABEL]: revisionOf(target) } } } },
  status: { observedGeneration: 1, replicas, updatedReplicas: replicas, availableReplicas: available },
});

const idle: ReleaseStatus = { phase: 'Idle', stableRevision: revisionOf(V1), stableSpec: V1, weight: 0 };

const observed = (extra: Partial<ReleaseObservation> = {}): ReleaseObservation => ({
  canarySubsetLive: true,
  canaryRouteLive: true,
  ...extra,
});

const input = (extra: Partial<PlanInput>): PlanInput => ({
  spec: V2,
  previous: idle,
  observed: observed(),
  now: T0,
  meshEnabled: true,
  ...extra,
});

/** Plans repeatedly from the result of the last plan, as consecutive reconciles would. */
function settle(first: PlanInput, passes = 4) {
  let plan = planRelease(first);
  for (let pass = 1; pass < passes; pass += 1) plan = planRelease({ ...first, previous: plan.status, command: undefined, analysis: undefined });
  return plan;
}

const run = (result: AnalysisRun['result'], value = '0.5'): AnalysisRun => ({
  result,
  metric: 'error-rate',
  value,
  limit: '<= 0.05',
  query: 'q',
  metrics: [{ name: 'error-rate', result }],
});

describe('release start', () => {
  it('starts idle on the first spec', () => {
    const plan = planRelease(input({ previous: undefined, spec: V1 }));
    expect(plan.status.phase).toBe('Idle');
    expect(plan.status.stableSpec).toEqual(V1);
    expect(plan.render.canary).toBeUndefined();
  });

  it('starts no release when only the replicas change', () => {
    const plan = planRelease(input({ spec: { ...V1, replicas: 9 } }));
    expect(plan.status.phase).toBe('Idle');
    expect(plan.events).toEqual([]);
  });

  it('starts a release at step 0 with weight 0', () => {
    const plan = planRelease(input({}));
    expect(plan.status).toMatchObject({ phase: 'Progressing', canaryRevision: revisionOf(V2), stepIndex: 0, weight: 0 });
    expect(plan.events.map((event) => event.reason)).toEqual(['ReleaseStarted']);
  });

  it('keeps the stable track on the old spec', () => {
    const plan = planRelease(input({}));
    expect(plan.render.stableSpec.image).toBe('orders:1');
  });

  it('takes the spec directly with strategy Rolling', () => {
    const rolling = spec('orders:2', { release: { strategy: 'Rolling' } });
    const plan = planRelease(input({ spec: rolling }));
    expect(plan.status).toMatchObject({ phase: 'Idle', stableRevision: revisionOf(rolling), weight: 0 });
  });
});

describe('traffic gating', () => {
  const started = planRelease(input({})).status;

  it('holds the weight until the canary pods are available', () => {
    const plan = planRelease(input({ previous: started, observed: observed({ canary: deployment('orders-canary', V2, 1, 0) }) }));
    expect(plan.status.weight).toBe(0);
    expect(plan.status.message).toMatch(/waiting for 1 available canary pods/);
  });

  it('holds the weight until the canary subset is live', () => {
    const plan = planRelease(input({ previous: started, observed: observed({ canary: deployment('orders-canary', V2, 1), canarySubsetLive: false }) }));
    expect(plan.status.weight).toBe(0);
  });

  it('holds the weight while the canary runs an older revision', () => {
    const plan = planRelease(input({ previous: started, observed: observed({ canary: deployment('orders-canary', V1, 1) }) }));
    expect(plan.status.weight).toBe(0);
  });

  it('raises the weight once the canary is available', () => {
    const plan = planRelease(input({ previous: started, observed: observed({ canary: deployment('orders-canary', V2, 1) }) }));
    expect(plan.status).toMatchObject({ weight: 20, stepIndex: 1 });
  });

  it('renders no canary route before the subset is live', () => {
    const plan = planRelease(input({ previous: started, observed: observed({ canarySubsetLive: false, canaryRouteLive: false }) }));
    expect(plan.render.canarySubset).toBe(true);
    expect(plan.render.canaryWeight).toBeUndefined();
  });

  it('renders no canary Deployment before the route pins traffic to subsets', () => {
    const plan = planRelease(input({ previous: started, observed: observed({ canaryRouteLive: false }) }));
    expect(plan.render.canary).toBeUndefined();
    expect(plan.render.canaryWeight).toBe(0);
  });

  it('keeps the subset while the route is live', () => {
    const plan = planRelease(input({ spec: V1, previous: { ...idle }, observed: observed({ canaryRouteLive: true }) }));
    expect(plan.render.canarySubset).toBe(true);
    expect(plan.render.canaryWeight).toBeUndefined();
  });

  it('splits by pod counts without the mesh', () => {
    const plan = planRelease(input({ meshEnabled: false, previous: started, observed: observed({ canary: deployment('orders-canary', V2, 1), canarySubsetLive: false }) }));
    expect(plan.status).toMatchObject({ weight: 20, trafficSplit: 'Replicas' });
    expect(plan.render.canarySubset).toBe(false);
  });
});

describe('pod counts', () => {
  const cases: Array<[number, number, number, number]> = [
    // total, weight, canary, stable
    [4, 0, 1, 4],
    [4, 20, 1, 4],
    [4, 50, 2, 2],
    [4, 100, 4, 0],
    [10, 33, 4, 7],
    [1, 10, 1, 1],
    [0, 50, 1, 0],
  ];

  it.each(cases)('total %i at weight %i: canary %i, stable %i', (total, weight, canaryPods, stablePods) => {
    expect(canaryReplicasFor(total, weight)).toBe(canaryPods);
    expect(stableReplicasFor(total, weight)).toBe(stablePods);
  });

  it('scales the canary up before raising the weight', () => {
    const at50 = spec('orders:2', { release: { strategy: 'Canary', canary: { steps: [{ setWeight: 50 }] } } });
    const previous = planRelease(input({ spec: at50 })).status;
    const plan = planRelease(input({ spec: at50, previous, observed: observed({ canary: deployment('orders-canary', at50, 1) }) }));
    expect(plan.status.weight).toBe(0);
    expect(plan.render.canary?.replicas).toBe(2);
    expect(plan.render.stableReplicas).toBe(4);
  });
});

describe('pause steps', () => {
  const paused = planRelease(input({ previous: planRelease(input({})).status, observed: observed({ canary: deployment('orders-canary', V2, 1) }) })).status;

  it('waits out the pause duration', () => {
    const plan = planRelease(input({ previous: paused, now: at(4) }));
    expect(plan.status.stepIndex).toBe(1);
    expect(plan.requeueAfterMs).toBeLessThanOrEqual(6_000);
  });

  it('resumes after a restart with the remaining time', () => {
    const plan = planRelease(input({ previous: paused, now: at(7) }));
    expect(plan.status.stepStartedAt).toBe(paused.stepStartedAt);
    expect(plan.requeueAfterMs).toBe(3_000);
  });

  it('moves on once the pause is over', () => {
    const plan = planRelease(input({ previous: paused, now: at(10), observed: observed({ canary: deployment('orders-canary', V2, 4) }) }));
    expect(plan.status).toMatchObject({ weight: 100, stepIndex: 3 });
  });

  it('pauses indefinitely without a duration', () => {
    const manual = spec('orders:2', { release: { strategy: 'Canary', canary: { steps: [{ pause: {} }] } } });
    const plan = planRelease(input({ spec: manual }));
    expect(plan.status).toMatchObject({ phase: 'Paused', pauseReason: 'PauseStep' });
  });
});

describe('analysis', () => {
  const withAnalysis = spec('orders:2', {
    release: {
      strategy: 'Canary',
      canary: {
        steps: [{ setWeight: 20 }, { analysis: {} }, { pause: {} }],
        analysis: { interval: '10s', count: 2, failureLimit: 1, inconclusiveLimit: 1, metrics: [{ name: 'error-rate', query: 'q', successCondition: { max: 0.05 } }] },
      },
    },
  });
  const ready = observed({ canary: deployment('orders-canary', withAnalysis, 1) });
  const weighted = settle(input({ spec: withAnalysis, observed: ready }), 2).status;

  it('is due at an analysis step', () => {
    expect(weighted.stepIndex).toBe(1);
    expect(analysisDue(withAnalysis, weighted, T0)).toBe(true);
  });

  it('is not due before the interval', () => {
    const after = planRelease(input({ spec: withAnalysis, previous: weighted, observed: ready, analysis: run('Successful', '0') })).status;
    expect(analysisDue(withAnalysis, after, at(5))).toBe(false);
  });

  it('finishes the step after count runs', () => {
    const first = planRelease(input({ spec: withAnalysis, previous: weighted, observed: ready, analysis: run('Successful', '0') })).status;
    const second = planRelease(input({ spec: withAnalysis, previous: first, observed: ready, analysis: run('Successful', '0'), now: at(10) })).status;
    expect(second).toMatchObject({ stepIndex: 2, phase: 'Paused' });
  });

  it('aborts when failures exceed the limit', () => {
    const first = planRelease(input({ spec: withAnalysis, previous: weighted, observed: ready, analysis: run('Failed') })).status;
    const plan = planRelease(input({ spec: withAnalysis, previous: first, observed: ready, analysis: run('Failed'), now: at(10) }));
    expect(plan.status).toMatchObject({ phase: 'Aborted', weight: 0, scaleDownAt: at(40).toISOString() });
    expect(plan.failure?.reason).toBe('ReleaseAborted');
    expect(plan.events.find((event) => event.reason === 'ReleaseAborted')?.type).toBe('Warning');
  });

  it('tolerates failures up to the limit', () => {
    const plan = planRelease(input({ spec: withAnalysis, previous: weighted, observed: ready, analysis: run('Failed') }));
    expect(plan.status.phase).toBe('Progressing');
  });

  it('pauses when inconclusive runs exceed the limit', () => {
    const first = planRelease(input({ spec: withAnalysis, previous: weighted, observed: ready, analysis: run('Inconclusive', 'no data') })).status;
    const plan = planRelease(input({ spec: withAnalysis, previous: first, observed: ready, analysis: run('Inconclusive', 'no data'), now: at(10) }));
    expect(plan.status).toMatchObject({ phase: 'Paused', pauseReason: 'Inconclusive' });
    expect(plan.status.analysis?.failures).toBe(0);
    expect(plan.failure).toBeUndefined();
  });

  it('is not due while the canary gets no traffic', () => {
    const started = planRelease(input({ spec: withAnalysis })).status;
    expect(analysisDue(withAnalysis, started, T0)).toBe(false);
  });
});

describe('restart and promotion', () => {
  const ready = observed({ canary: deployment('orders-canary', V2, 1) });
  const midRelease = planRelease(input({ previous: planRelease(input({})).status, observed: ready })).status;

  it('restarts from step 0 on a new revision', () => {
    const V3 = spec('orders:3');
    const plan = planRelease(input({ spec: V3, previous: midRelease, observed: ready }));
    expect(plan.status).toMatchObject({ stepIndex: 0, weight: 0, canaryRevision: revisionOf(V3), stableRevision: revisionOf(V1) });
    expect(plan.events.map((event) => event.reason)).toContain('ReleaseRestarted');
  });

  it('keeps the weight until the stable Deployment runs the new revision', () => {
    const promoting = planRelease(input({ previous: midRelease, observed: ready, command: { name: 'promote', id: 'a' } }));
    expect(promoting.status).toMatchObject({ phase: 'Progressing', stableRevision: revisionOf(V2), weight: 20 });
    expect(promoting.render.stableReplicas).toBe(4);
  });

  it('moves all traffic to stable after the rollout', () => {
    const promoting = planRelease(input({ previous: midRelease, observed: ready, command: { name: 'promote', id: 'a' } })).status;
    const plan = planRelease(input({ previous: promoting, observed: observed({ ...ready, stable: deployment('orders', V2, 4) }) }));
    expect(plan.status).toMatchObject({ phase: 'Promoted', weight: 0, stableSpec: V2, scaleDownAt: at(30).toISOString() });
  });

  it('scales the canary to 0 at scaleDownAt, then removes it', () => {
    const promoted: ReleaseStatus = { ...midRelease, phase: 'Promoted', stableRevision: revisionOf(V2), stableSpec: V2, weight: 0, scaleDownAt: at(30).toISOString() };
    const stable = deployment('orders', V2, 4);
    const running = observed({ stable, canary: deployment('orders-canary', V2, 1) });
    expect(planRelease(input({ previous: promoted, now: at(29), observed: running })).render.canary?.replicas).toBe(1);
    expect(planRelease(input({ previous: promoted, now: at(30), observed: running })).render.canary?.replicas).toBe(0);
    const scaledDown = planRelease(input({ previous: promoted, now: at(31), observed: observed({ stable, canary: deployment('orders-canary', V2, 0) }) }));
    expect(scaledDown.render.canary).toBeUndefined();
  });

  it('keeps the aborted canary until stable serves', () => {
    const aborted = planRelease(input({ previous: midRelease, observed: ready, command: { name: 'abort', id: 'x' } })).status;
    const due = Date.parse(aborted.scaleDownAt ?? '') + 1000;
    const canary = deployment('orders-canary', V2, 1);
    const short = observed({ stable: deployment('orders', V1, 4, 3), canary });
    expect(planRelease(input({ previous: aborted, now: new Date(due), observed: short })).render.canary?.replicas).toBe(1);
    const full = observed({ stable: deployment('orders', V1, 4), canary });
    expect(planRelease(input({ previous: aborted, now: new Date(due), observed: full })).render.canary?.replicas).toBe(0);
  });

  it('scales the canary down beside an autoscaled stable', () => {
    const promoted: ReleaseStatus = { ...midRelease, phase: 'Promoted', stableRevision: revisionOf(V2), stableSpec: V2, weight: 0, scaleDownAt: at(30).toISOString() };
    // An autoscaler set the stable Deployment to 6 pods; all 6 available is enough.
    const scaled = observed({ stable: deployment('orders', V2, 6), canary: deployment('orders-canary', V2, 1) });
    expect(planRelease(input({ previous: promoted, now: at(30), observed: scaled })).render.canary?.replicas).toBe(0);
  });

  it('cancels the release when the spec returns to stable', () => {
    const plan = planRelease(input({ spec: V1, previous: midRelease, observed: ready }));
    expect(plan.status).toMatchObject({ phase: 'Idle', weight: 0 });
    expect(plan.failure).toBeUndefined();
  });
});

describe('release commands', () => {
  const ready = observed({ canary: deployment('orders-canary', V2, 1) });
  const midRelease = planRelease(input({ previous: planRelease(input({})).status, observed: ready, now: T0 })).status;

  it('aborts on command', () => {
    const plan = planRelease(input({ previous: midRelease, observed: ready, command: { name: 'abort', id: 'x' } }));
    expect(plan.status).toMatchObject({ phase: 'Aborted', weight: 0, lastCommandId: 'x' });
  });

  it('runs a command id once', () => {
    const aborted = planRelease(input({ previous: midRelease, observed: ready, command: { name: 'abort', id: 'x' } })).status;
    const retried = planRelease(input({ previous: aborted, observed: ready, command: { name: 'retry', id: 'x' } }));
    expect(retried.status.phase).toBe('Aborted');
  });

  it('restarts an aborted release on retry', () => {
    const aborted = planRelease(input({ previous: midRelease, observed: ready, command: { name: 'abort', id: 'x' } })).status;
    const retried = planRelease(input({ previous: aborted, command: { name: 'retry', id: 'y' } }));
    expect(retried.status).toMatchObject({ phase: 'Progressing', stepIndex: 0, canaryRevision: revisionOf(V2) });
  });

  it('keeps the remaining pause time across a manual pause', () => {
    const paused = planRelease(input({ previous: midRelease, observed: ready, now: at(4), command: { name: 'pause', id: 'p' } })).status;
    const resumed = planRelease(input({ previous: paused, observed: ready, now: at(64), command: { name: 'resume', id: 'r' } }));
    expect(resumed.status.phase).toBe('Progressing');
    expect(resumed.status.stepStartedAt).toBe(at(60).toISOString());
  });

  it('ends a pause step on resume', () => {
    const manual = spec('orders:2', { release: { strategy: 'Canary', canary: { steps: [{ pause: {} }, { pause: { duration: '1h' } }] } } });
    const paused = planRelease(input({ spec: manual })).status;
    const resumed = planRelease(input({ spec: manual, previous: paused, command: { name: 'resume', id: 'r' } }));
    expect(resumed.status).toMatchObject({ phase: 'Progressing', stepIndex: 1 });
  });

  it('ignores a command that does not fit the phase', () => {
    const plan = planRelease(input({ spec: V1, command: { name: 'promote', id: 'z' } }));
    expect(plan.status.phase).toBe('Idle');
    expect(plan.events.map((event) => event.reason)).toEqual(['ReleaseCommandIgnored']);
  });
});
