/**
 * Canary analysis: runs each metric's PromQL through the Prometheus HTTP API
 * (GET /api/v1/query, the instant query of Prometheus 2.x) and judges the value
 * against its bounds. No data is never a failure: an empty result, NaN, an error
 * response or an unreachable server is inconclusive, so that a scrape gap cannot roll
 * back a healthy revision.
 */
import { fetch } from 'undici';
import type { AnalysisMetric, AnalysisSpec } from '../../../cdk8s/src/api/release.ts';
import { ANALYSIS_QUERY_TIMEOUT_MS } from '../runtime/constants.ts';
import type { AnalysisResult, AnalysisRun } from './types.ts';

/** Values substituted into `{{service}}`, `{{namespace}}` and `{{revision}}`. */
export interface QueryVariables {
  service: string;
  namespace: string;
  revision: string;
}

/** The value of one query, or why there is none. */
export type QueryValue = { value: number } | { missing: string };

export interface MetricOutcome {
  name: string;
  result: AnalysisResult;
  value: string;
  limit: string;
  query: string;
}

/**
 * Replaces the placeholders with PromQL-escaped values. The values end up inside label
 * matchers in double quotes, so backslashes and quotes are escaped as PromQL string
 * literals require.
 */
export function renderQuery(template: string, variables: QueryVariables): string {
  const escape = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  return template
    .replaceAll('{{service}}', escape(variables.service))
    .replaceAll('{{namespace}}', escape(variables.namespace))
    .replaceAll('{{revision}}', escape(variables.revision));
}

/** Describes the bounds of a metric, as ">= 0.99", "<= 0.05" or "between 1 and 2". */
export function describeLimit(condition: AnalysisMetric['successCondition']): string {
  const { min, max } = condition;
  if (min !== undefined && max !== undefined) return `between ${min} and ${max}`;
  if (min !== undefined) return `>= ${min}`;
  if (max !== undefined) return `<= ${max}`;
  return 'any value';
}

/** Judges one query value: inside the bounds is Successful, outside Failed, no number Inconclusive. */
export function evaluate(metric: AnalysisMetric, query: string, outcome: QueryValue): MetricOutcome {
  const limit = describeLimit(metric.successCondition);
  if ('missing' in outcome) return { name: metric.name, result: 'Inconclusive', value: outcome.missing, limit, query };
  const { min, max } = metric.successCondition;
  const passed = (min === undefined || outcome.value >= min) && (max === undefined || outcome.value <= max);
  return { name: metric.name, result: passed ? 'Successful' : 'Failed', value: String(outcome.value), limit, query };
}

/** Combines metric outcomes: any failure fails the run, else any inconclusive makes it inconclusive. */
export function combine(outcomes: MetricOutcome[]): AnalysisRun {
  const decisive =
    outcomes.find((outcome) => outcome.result === 'Failed') ??
    outcomes.find((outcome) => outcome.result === 'Inconclusive') ??
    outcomes[outcomes.length - 1];
  if (!decisive) throw new Error('canary analysis has no metrics; add at least one to spec.release.canary.analysis.metrics');
  return {
    result: decisive.result,
    metric: decisive.name,
    value: decisive.value,
    limit: decisive.limit,
    query: decisive.query,
    metrics: outcomes.map((outcome) => ({ name: outcome.name, result: outcome.result })),
  };
}

interface PrometheusResponse {
  status?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

/** Reads one number from an instant-query response body, or the reason there is none. */
export function valueOf(body: PrometheusResponse): QueryValue {
  if (body.status !== 'success') return { missing: `query failed: ${body.error ?? 'unknown error'}` };
  const { resultType, result } = body.data ?? {};
  let sample: unknown;
  if (resultType === 'scalar') {
    sample = result;
  } else if (resultType === 'vector' && Array.isArray(result)) {
    if (result.length === 0) return { missing: 'no data' };
    if (result.length > 1) return { missing: `${result.length} series; aggregate the query to one, for example with sum()` };
    sample = (result[0] as { value?: unknown }).value;
  } else {
    return { missing: `unsupported result type ${resultType ?? 'none'}; the query must return a scalar or one series` };
  }
  const value = Array.isArray(sample) ? Number(sample[1]) : Number.NaN;
  if (!Number.isFinite(value)) return { missing: Array.isArray(sample) ? String(sample[1]) : 'no value' };
  return { value };
}

export class PrometheusClient {
  private readonly address: string;
  private readonly timeoutMs: number;

  constructor(address: string, timeoutMs = ANALYSIS_QUERY_TIMEOUT_MS) {
    this.address = address.replace(/\/+$/, '');
    this.timeoutMs = timeoutMs;
  }

  /** Runs an instant query. Every failure becomes a missing value; this method never throws. */
  async query(promql: string): Promise<QueryValue> {
    const url = `${this.address}/api/v1/query?${new URLSearchParams({ query: promql })}`;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs), headers: { accept: 'application/json' } });
      const text = await response.text();
      let body: PrometheusResponse;
      try {
        body = JSON.parse(text) as PrometheusResponse;
      } catch {
        return { missing: `Prometheus answered HTTP ${response.status} with a body that is not JSON` };
      }
      return valueOf(body);
    } catch (error) {
      if (error instanceof Error && error.name === 'TimeoutError') return { missing: `query timed out after ${this.timeoutMs} ms` };
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
      return { missing: `Prometheus at ${this.address} unreachable${cause}` };
    }
  }
}

/** Runs every metric of `analysis` once, in parallel, and combines the outcomes. */
export async function runAnalysis(
  analysis: AnalysisSpec,
  variables: QueryVariables,
  prometheus: PrometheusClient | undefined,
): Promise<{ run: AnalysisRun; outcomes: MetricOutcome[] }> {
  const outcomes = await Promise.all(
    analysis.metrics.map(async (metric) => {
      const query = renderQuery(metric.query, variables);
      const value: QueryValue = prometheus
        ? await prometheus.query(query)
        : { missing: 'no Prometheus address; start the operator with --prometheus-address' };
      return evaluate(metric, query, value);
    }),
  );
  return { run: combine(outcomes), outcomes };
}
