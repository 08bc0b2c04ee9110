import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { AnalysisMetric } from '../../../cdk8s/src/api/release.ts';
import { PrometheusClient, combine, evaluate, renderQuery, valueOf } from '../../../operator/src/release/analysis.ts';
import { parseDuration } from '../../../operator/src/release/duration.ts';
import { canarySteps } from '../../../operator/src/release/steps.ts';

const metric = (successCondition: AnalysisMetric['successCondition']): AnalysisMetric => ({ name: 'm', query: 'q', successCondition });
const vector = (...values: string[]) => ({
  status: 'success',
  data: { resultType: 'vector', result: values.map((value) => ({ metric: {}, value: [0, value] })) },
});

describe('query values', () => {
  const cases: Array<[string, unknown, unknown]> = [
    ['one series', vector('0.25'), { value: 0.25 }],
    ['a scalar', { status: 'success', data: { resultType: 'scalar', result: [0, '3'] } }, { value: 3 }],
    ['no series', vector(), { missing: 'no data' }],
    ['NaN', vector('NaN'), { missing: 'NaN' }],
    ['+Inf', vector('+Inf'), { missing: '+Inf' }],
    ['two series', vector('1', '2'), { missing: '2 series; aggregate the query to one, for example with sum()' }],
    ['an error', { status: 'error', error: 'parse error' }, { missing: 'query failed: parse error' }],
    ['a matrix', { status: 'success', data: { resultType: 'matrix', result: [] } }, { missing: expect.stringMatching(/unsupported result type matrix/) }],
  ];

  it.each(cases)('reads %s', (_name, body, expected) => {
    expect(valueOf(body as never)).toEqual(expected);
  });
});

describe('metric evaluation', () => {
  const cases: Array<[string, AnalysisMetric['successCondition'], number, string]> = [
    ['below max', { max: 0.05 }, 0.01, 'Successful'],
    ['at max', { max: 0.05 }, 0.05, 'Successful'],
    ['above max', { max: 0.05 }, 0.06, 'Failed'],
    ['at min', { min: 0.99 }, 0.99, 'Successful'],
    ['below min', { min: 0.99 }, 0.5, 'Failed'],
    ['inside a range', { min: 1, max: 2 }, 1.5, 'Successful'],
    ['outside a range', { min: 1, max: 2 }, 3, 'Failed'],
  ];

  it.each(cases)('judges a value %s', (_name, condition, value, result) => {
    expect(evaluate(metric(condition), 'q', { value }).result).toBe(result);
  });

  it('judges a missing value inconclusive', () => {
    expect(evaluate(metric({ max: 1 }), 'q', { missing: 'no data' }).result).toBe('Inconclusive');
  });

  it('lets a failure decide a run', () => {
    const run = combine([
      { name: 'a', result: 'Inconclusive', value: 'no data', limit: '<= 1', query: 'qa' },
      { name: 'b', result: 'Failed', value: '5', limit: '<= 1', query: 'qb' },
    ]);
    expect(run).toMatchObject({ result: 'Failed', metric: 'b', value: '5', query: 'qb' });
  });
});

describe('query templates', () => {
  it('substitutes every placeholder', () => {
    const query = renderQuery('x{service="{{service}}",namespace="{{namespace}}",revision="{{revision}}"} / x{service="{{service}}"}', {
      service: 'orders',
      namespace: 'shop',
      revision: 'abc123',
    });
    expect(query).toBe('x{service="orders",namespace="shop",revision="abc123"} / x{service="orders"}');
  });

  it('escapes quotes and backslashes', () => {
    expect(renderQuery('"{{service}}"', { service: 'a"b\\c', namespace: '', revision: '' })).toBe('"a\\"b\\\\c"');
  });
});

describe('Prometheus client', () => {
  it('reports an unreachable server as a missing value', async () => {
    const client = new PrometheusClient('http://127.0.0.1:9');
    const value = await client.query('up');
    expect(value).toEqual({ missing: expect.stringMatching(/unreachable/) });
  });

  it('reports a slow server as timed out', async () => {
    const server = createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const value = await new PrometheusClient(`http://127.0.0.1:${port}`, 100).query('up');
      expect(value).toEqual({ missing: 'query timed out after 100 ms' });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('durations', () => {
  const cases: Array<[string, number]> = [
    ['250ms', 250],
    ['5s', 5_000],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['1.5s', 1_500],
  ];

  it.each(cases)('parses %s', (text, milliseconds) => {
    expect(parseDuration(text)).toBe(milliseconds);
  });

  it.each(['', '5', '5 m', 'm5'])('rejects "%s"', (text) => {
    expect(() => parseDuration(text)).toThrow(/invalid duration/);
  });
});

describe('presets', () => {
  it('expands Canary10Percent5Minutes', () => {
    expect(canarySteps({ preset: 'Canary10Percent5Minutes' })).toEqual([{ setWeight: 10 }, { pause: { duration: '5m' } }, { setWeight: 100 }]);
  });

  it('expands Linear10PercentEvery2Minutes to ten raises', () => {
    const steps = canarySteps({ preset: 'Linear10PercentEvery2Minutes' });
    expect(steps.filter((step) => step.setWeight !== undefined).map((step) => step.setWeight)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(steps.filter((step) => step.pause).every((step) => step.pause?.duration === '2m')).toBe(true);
  });

  it('expands both spellings of the one-minute linear preset alike', () => {
    expect(canarySteps({ preset: 'Linear10PercentEvery1Minutes' })).toEqual(canarySteps({ preset: 'Linear10PercentEvery1Minute' }));
  });

  it('expands AllAtOnce', () => {
    expect(canarySteps({ preset: 'AllAtOnce' })).toEqual([{ setWeight: 100 }]);
  });
});
