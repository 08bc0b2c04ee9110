/**
 * Benchmark entry point: `node bench/run.ts [options]`, or `make bench`. For each size it
 * alternates floor and operator runs, then prints a table and writes a JSON file. See
 * docs/benchmarks.md for what each figure means and the latest results.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeClient } from '../operator/src/kube/client.ts';
import { loadClusterConnection } from '../operator/src/kube/kubeconfig.ts';
import { BENCH_LABEL, applyCrd, deleteNamespace, ensurePodCapacity, kubernetesVersion, retrying } from './cluster.ts';
import { LoadMeter, describeMachine, type Machine } from './machine.ts';
import { OperatorProcess, isolationArgs } from './operator-process.ts';
import { BenchOptionError, helpText, parseOptions, repeatsFor, type BenchOptions } from './options.ts';
import { checkTargets, formatTables, summarise, type SizeSummary } from './report.ts';
import { runFloor, runOperator, type BenchContext, type FloorRun, type OperatorRun } from './scenarios.ts';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

async function main(argv: string[]): Promise<number> {
  let options: BenchOptions;
  try {
    const parsed = parseOptions(argv, process.env, REPO_ROOT);
    if (parsed === 'help') {
      process.stdout.write(helpText());
      return 0;
    }
    options = parsed;
  } catch (error) {
    if (error instanceof BenchOptionError) {
      process.stderr.write(`bench: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (!existsSync(options.kubeconfig)) {
    process.stderr.write(`bench: no kubeconfig at ${options.kubeconfig}; start the local control plane with \`make cluster-up\`\n`);
    return 2;
  }

  const startedAt = new Date();
  const clock = performance.now();
  const progress = (message: string) => process.stderr.write(`[bench ${((performance.now() - clock) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);
  const client = new KubeClient(loadClusterConnection(options.kubeconfig));
  const version = await retrying(() => kubernetesVersion(client));
  const machine = describeMachine(version);
  progress(describe(machine));

  await applyCrd(options.kubeconfig, REPO_ROOT);
  await removeLeftovers(client, progress);
  const nodesAdded = await ensurePodCapacity(client, 2 * Math.max(...options.sizes));
  if (nodesAdded > 0) progress(`added ${nodesAdded} fake nodes labelled ${BENCH_LABEL}=true for pod capacity`);

  const context: BenchContext = {
    options: { ...options, operatorArgs: [...isolationArgs(REPO_ROOT), ...options.operatorArgs] },
    client,
    repoRoot: REPO_ROOT,
    kubernetesMinor: /^v?(\d+\.\d+)/.exec(version)?.[1] ?? '1.34',
    progress,
  };
  const load = new LoadMeter();
  const summaries: SizeSummary[] = [];
  const report = (complete: boolean) =>
    writeResults(options.output, {
      complete,
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((performance.now() - clock) / 1000),
      command: commandLine(argv),
      machine,
      load: load.read(),
      options: { ...options, kubeconfig: undefined, output: undefined },
      benchNodesAdded: nodesAdded,
      sizes: summaries,
      targets: checkTargets(summaries),
    });

  for (const size of options.sizes) {
    const repeats = repeatsFor(options, size);
    const floor: FloorRun[] = [];
    const operator: OperatorRun[] = [];
    for (let run = 0; run < repeats; run += 1) {
      const last = run === repeats - 1;
      if (options.floor) floor.push(await runFloor(context, size));
      operator.push(await runOperator(context, size, { steady: last, restart: last }));
      // The file is rewritten after every run, so an interrupted benchmark still leaves its figures.
      if (run > 0) summaries.pop();
      summaries.push(summarise(size, floor, operator));
      report(false);
    }
  }
  const machineLoad = load.read();
  const targets = checkTargets(summaries);

  const output = [
    '',
    describe(machine),
    `machine load during the run: ${machineLoad.busyPercent}% of all cores busy; load average ${machineLoad.loadAverage.join(' ')}`,
    `workers ${options.workers}, mesh ${options.mesh ? 'on' : 'off'}, operator Node.js flags: ${options.nodeOptions.join(' ') || 'none'}, idle window ${options.idleSeconds} s; times are medians in seconds`,
    '',
    formatTables(summaries),
    '',
    ...targets.map((check) => `${check.met === null ? 'not measured' : check.met ? 'met   ' : 'MISSED'}  ${check.target}: ${check.value}`),
    '',
  ];
  process.stdout.write(output.join('\n'));
  report(true);
  progress(`wrote ${options.output}`);
  return 0;
}

function writeResults(path: string, results: Record<string, unknown>): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
}

function describe(machine: Machine): string {
  return `machine: ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, Linux ${machine.kernel}, Node ${machine.node}, Kubernetes ${machine.kubernetes}`;
}

/** Formats the command as typed, with the BENCH_* variables that were set. */
function commandLine(argv: string[]): string {
  const variables = Object.entries(process.env)
    .filter(([name]) => name.startsWith('BENCH_'))
    .map(([name, value]) => `${name}=${value}`);
  return [...variables, 'node', 'bench/run.ts', ...argv].join(' ');
}

/** Deletes namespaces an interrupted earlier run left, so their pods do not load this one. */
async function removeLeftovers(client: KubeClient, progress: (message: string) => void): Promise<void> {
  const list = await client.request<{ items: Array<{ metadata: { name: string } }> }>('GET', '/api/v1/namespaces', {
    query: { labelSelector: `${BENCH_LABEL}=true` },
  });
  for (const namespace of list.items) {
    progress(`deleting namespace ${namespace.metadata.name} left by an earlier run`);
    await deleteNamespace(client, namespace.metadata.name, 600_000);
  }
}

function stopOnSignal(signal: NodeJS.Signals): void {
  process.stderr.write(`bench: ${signal} received; stopping the operator processes. ` +
    `Namespaces may remain: kubectl delete namespace -l ${BENCH_LABEL}=true\n`);
  for (const operator of OperatorProcess.live) operator.child.kill('SIGTERM');
  process.exit(130);
}

if (import.meta.main) {
  process.once('SIGINT', () => stopOnSignal('SIGINT'));
  process.once('SIGTERM', () => stopOnSignal('SIGTERM'));
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
      if (error instanceof Error && error.cause instanceof Error) process.stderr.write(`  cause: ${error.cause.message}\n`);
      for (const operator of OperatorProcess.live) operator.child.kill('SIGTERM');
      process.exit(1);
    },
  );
}
