import { describe, expect, it } from 'vitest';
import type { Microservice } from '../../../cdk8s/src/api/microservice.ts';
import { formatRelease, progressBar } from '../../../operator/src/cli/release-view.ts';

const microservice = (release: NonNullable<Microservice['status']>['release']): Microservice => ({
  apiVersion: 'flywheel.dev/v1alpha1',
  kind: 'Microservice',
  metadata: { name: 'orders', namespace: 'shop' },
  spec: {
    image: 'orders:2',
    release: { strategy: 'Canary', canary: { steps: [{ setWeight: 20 }, { pause: { duration: '5m' } }, { setWeight: 100 }] } },
  },
  status: { phase: 'Progressing', release },
});

describe('release view', () => {
  const view = formatRelease(
    microservice({
      phase: 'Progressing',
      stableRevision: 'aaaa',
      canaryRevision: 'bbbb',
      stepIndex: 1,
      stepStartedAt: '2026-01-01T00:00:00.000Z',
      weight: 20,
      canaryReplicas: 1,
      stableSpec: { image: 'orders:1' },
      analysis: { successes: 3, failures: 1, inconclusive: 0, lastResult: 'Successful', lastMetric: 'error-rate', lastValue: '0.01', lastLimit: '<= 0.05', lastQuery: 'q' },
    }),
    new Date('2026-01-01T00:01:30.000Z'),
  );

  it('marks done and current steps', () => {
    expect(view).toContain('✓ 1. setWeight 20\n   ▶ 2. pause 5m  (3m30s left)\n     3. setWeight 100');
  });

  it('draws the weight as a bar', () => {
    expect(view).toContain(`${progressBar(20)}  20% to canary`);
  });

  it('shows the analysis counters', () => {
    expect(view).toContain('3 successful, 1 failed, 0 inconclusive');
  });

  it('says when weights are approximate', () => {
    const approximate = formatRelease(microservice({ phase: 'Idle', stableRevision: 'a', weight: 0, trafficSplit: 'Replicas', stableSpec: { image: 'x' } }), new Date());
    expect(approximate).toContain('approximate: split by pod counts');
  });
});

describe('progress bar', () => {
  const cases: Array<[number, string]> = [
    [0, `[${'.'.repeat(40)}]`],
    [50, `[${'#'.repeat(20)}${'.'.repeat(20)}]`],
    [100, `[${'#'.repeat(40)}]`],
    [150, `[${'#'.repeat(40)}]`],
  ];

  it.each(cases)('draws %i%%', (percent, bar) => {
    expect(progressBar(percent)).toBe(bar);
  });
});
