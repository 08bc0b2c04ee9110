/** Summaries of the measured runs: medians, ratios, the stdout table and the target check. */
import type { FloorRun, OperatorRun, RestartResult, SteadyResult } from './scenarios.ts';

export interface SizeSummary {
  n: number;
  repeats: number;
  /** Medians in seconds over the runs that converged; null when none did. */
  median: {
    floorCreate: number | null;
    operatorCreate: number | null;
    floorUpdate: number | null;
    operatorUpdate: number | null;
    /** Seconds until every Deployment was applied, as defined in WaveResult.appliedSeconds. */
    floorCreateApplied: number | null;
    operatorCreateApplied: number | null;
    floorUpdateApplied: number | null;
    operatorUpdateApplied: number | null;
  };
  /** Operator median divided by floor median. */
  ratio: { create: number | null; update: number | null };
  /** Operator requests per Microservice in the last operator run, by HTTP method. */
  requestsPerMicroservice: { create: Record<string, number>; update: Record<string, number> };
  /** Highest peak RSS of the operator runs at this size, in MiB. */
  peakRssMiB: number;
  steady: SteadyResult | undefined;
  restart: RestartResult | undefined;
  runs: { floor: FloorRun[]; operator: OperatorRun[] };
}

export function median(values: Array<number | null>): number | null {
  const sorted = values.filter((value): value is number => value !== null).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? null) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

const ratioOf = (a: number | null, b: number | null): number | null => (a === null || b === null || b === 0 ? null : a / b);

export function summarise(n: number, floor: FloorRun[], operator: OperatorRun[]): SizeSummary {
  const median_ = {
    floorCreate: median(floor.map((run) => run.create.seconds)),
    operatorCreate: median(operator.map((run) => run.create.seconds)),
    floorUpdate: median(floor.map((run) => run.update?.seconds ?? null)),
    operatorUpdate: median(operator.map((run) => run.update?.seconds ?? null)),
    floorCreateApplied: median(floor.map((run) => run.create.appliedSeconds)),
    operatorCreateApplied: median(operator.map((run) => run.create.appliedSeconds)),
    floorUpdateApplied: median(floor.map((run) => run.update?.appliedSeconds ?? null)),
    operatorUpdateApplied: median(operator.map((run) => run.update?.appliedSeconds ?? null)),
  };
  const last = operator.at(-1);
  const perMicroservice = (requests: Record<string, number> | undefined) =>
    Object.fromEntries(Object.entries(requests ?? {}).map(([method, count]) => [method, Math.round((count / n) * 100) / 100]));
  return {
    n,
    repeats: operator.length,
    median: median_,
    ratio: { create: ratioOf(median_.operatorCreate, median_.floorCreate), update: ratioOf(median_.operatorUpdate, median_.floorUpdate) },
    requestsPerMicroservice: { create: perMicroservice(last?.create.requests), update: perMicroservice(last?.update?.requests) },
    peakRssMiB: Math.max(0, ...operator.map((run) => run.peakRssMiB), ...operator.map((run) => run.restart?.peakRssMiB ?? 0)),
    steady: operator.find((run) => run.steady)?.steady,
    restart: operator.find((run) => run.restart)?.restart,
    runs: { floor, operator },
  };
}

export interface TargetCheck {
  target: string;
  value: string;
  met: boolean | null;
}

/** Checks the operator's performance targets; null in `met` means the run did not measure that one. */
export function checkTargets(summaries: SizeSummary[]): TargetCheck[] {
  const at = (n: number) => summaries.find((summary) => summary.n === n);
  const checks: TargetCheck[] = [];

  const ratio = at(1000)?.ratio.create ?? null;
  checks.push({ target: 'convergence within 1.25x of the floor at N=1000', value: ratio === null ? 'not measured' : `${ratio.toFixed(2)}x`, met: ratio === null ? null : ratio <= 1.25 });

  const steady = summaries.filter((summary) => summary.steady);
  const idleWrites = steady.reduce((sum, summary) => sum + (summary.steady?.writes ?? 0), 0);
  checks.push({
    target: 'zero idle writes',
    value: steady.length === 0 ? 'not measured' : `${idleWrites} writes at N=${steady.map((summary) => summary.n).join(',')}`,
    met: steady.length === 0 ? null : idleWrites === 0,
  });

  const rss = at(5000)?.peakRssMiB;
  checks.push({ target: 'peak RSS under 256 MiB at N=5000', value: rss === undefined ? 'not measured' : `${rss.toFixed(0)} MiB`, met: rss === undefined ? null : rss < 256 });

  const restart = at(1000)?.restart;
  const restartSeconds = restart?.seconds ?? null;
  checks.push({
    target: 'restart resync of N=1000 under 10 s without writes',
    value: restart === undefined ? 'not measured' : `${restartSeconds === null ? 'timed out' : `${restartSeconds.toFixed(1)} s`}, ${restart.writes} writes`,
    met: restart === undefined ? null : restartSeconds !== null && restartSeconds < 10 && restart.writes === 0,
  });
  return checks;
}

/** Seconds with one decimal; '-' when not measured, 'timeout' when a wait timed out. */
const seconds = (value: number | null | undefined, measured = true): string => {
  if (!measured) return '-';
  return value === null || value === undefined ? 'timeout' : value.toFixed(1);
};
const times = (value: number | null): string => (value === null ? '-' : `${value.toFixed(2)}x`);

/** Two tables: convergence against the floor, then the operator's steady-state costs. */
export function formatTables(summaries: SizeSummary[]): string {
  const convergence = formatTable(
    ['N', 'runs', 'wave', 'floor s', 'operator s', 'ratio', 'floor applied s', 'operator applied s'],
    summaries.flatMap((summary) => {
      const { median: m, ratio } = summary;
      const floor = summary.runs.floor.length > 0;
      const update = summary.runs.operator.some((run) => run.update);
      const rows = [
        [String(summary.n), String(summary.repeats), 'create', seconds(m.floorCreate, floor), seconds(m.operatorCreate), times(ratio.create), seconds(m.floorCreateApplied, floor), seconds(m.operatorCreateApplied)],
      ];
      if (update) {
        rows.push(['', '', 'update', seconds(m.floorUpdate, floor), seconds(m.operatorUpdate), times(ratio.update), seconds(m.floorUpdateApplied, floor), seconds(m.operatorUpdateApplied)]);
      }
      return rows;
    }),
  );
  const costs = formatTable(
    ['N', 'idle s', 'idle writes', 'idle reads', 'idle CPU s', 'peak RSS MiB', 'restart s', 'restart writes', 'create requests per Microservice'],
    summaries.map((summary) => [
      String(summary.n),
      summary.steady ? summary.steady.seconds.toFixed(0) : '-',
      summary.steady ? String(summary.steady.writes) : '-',
      summary.steady ? String(summary.steady.requests.GET ?? 0) : '-',
      summary.steady ? summary.steady.cpuSeconds.toFixed(2) : '-',
      summary.peakRssMiB.toFixed(0),
      summary.restart ? seconds(summary.restart.seconds) : '-',
      summary.restart ? String(summary.restart.writes) : '-',
      Object.entries(summary.requestsPerMicroservice.create).map(([method, count]) => `${method} ${count}`).join(', '),
    ]),
  );
  return `${convergence}\n\n${costs}`;
}

function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padStart(widths[column] ?? 0))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}
