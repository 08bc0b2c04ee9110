/**
 * `flywheel release status|promote|abort|retry|pause|resume NAME [-n NAMESPACE] [--watch]`.
 * Commands do not change the release themselves: they set the release-command
 * annotations on the Microservice, and the operator executes the command once on its
 * next reconcile. So the CLI needs only get, watch and patch on Microservices.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Microservice } from '../../../cdk8s/src/api/microservice.ts';
import { revisionOf } from '../../../cdk8s/src/release/revision.ts';
import { KubeClient, MERGE_PATCH } from '../kube/client.ts';
import { isNotFound } from '../kube/errors.ts';
import { MICROSERVICE, collectionPath, objectPath } from '../kube/resources.ts';
import { KubeconfigError, loadClusterConnection, type ClusterConnection } from '../kube/kubeconfig.ts';
import { COMMAND_ANNOTATION, COMMAND_ID_ANNOTATION, commandBlocker, isCommandName } from '../release/commands.ts';
import { RELEASE_COMMANDS } from '../release/types.ts';
import type { CommandIo } from './eks.ts';
import { formatRelease } from './release-view.ts';

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;
/** ANSI: move the cursor home and clear the screen, so a watch redraws in place. */
const CLEAR_SCREEN = '\u001b[H\u001b[2J';

export const RELEASE_HELP = `Usage: flywheel release COMMAND NAME [OPTIONS]

Show or steer the canary release of Microservice NAME.

Commands:
  status    Show the phase, steps, traffic weight and analysis results
  promote   Promote the canary now, skipping the remaining steps
  abort     Send all traffic back to stable and scale the canary down
  retry     Start an aborted release again from step 1
  pause     Hold the release at its current step
  resume    Continue a paused release; ends a pause step without a duration

Options:
  -n, --namespace NS   Namespace of the Microservice (default: the kubeconfig context's, else "default")
  -w, --watch          Keep redrawing the status after each change, until interrupted
  --kubeconfig PATH    Kubeconfig file (default: KUBECONFIG, then ~/.kube/config)
  -h, --help           Print this help
`;

export interface ReleaseCommandOptions {
  /** Stops --watch; the CLI entry points abort it on SIGINT. */
  signal?: AbortSignal;
  /** Clear the screen before each redraw of --watch. @default false */
  clearScreen?: boolean;
}

/** Runs `flywheel release ...` and returns the exit code. */
export async function runReleaseCommand(argv: string[], io: CommandIo, options: ReleaseCommandOptions = {}): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        namespace: { type: 'string', short: 'n' },
        watch: { type: 'boolean', short: 'w' },
        kubeconfig: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    io.stderr(`flywheel release: ${(error as Error).message}; run 'flywheel release --help'\n`);
    return EXIT_USAGE;
  }
  if (parsed.values.help) {
    io.stdout(RELEASE_HELP);
    return EXIT_OK;
  }
  const [command, name, ...extra] = parsed.positionals;
  if (command === undefined || name === undefined || extra.length > 0) {
    io.stderr(`flywheel release: expected COMMAND NAME, got "${parsed.positionals.join(' ')}"; run 'flywheel release --help'\n`);
    return EXIT_USAGE;
  }
  if (command !== 'status' && !isCommandName(command)) {
    io.stderr(`flywheel release: unknown command "${command}"; use status or one of ${RELEASE_COMMANDS.join(', ')}\n`);
    return EXIT_USAGE;
  }

  let connection: ClusterConnection;
  try {
    connection = loadClusterConnection(parsed.values.kubeconfig);
  } catch (error) {
    if (!(error instanceof KubeconfigError)) throw error;
    io.stderr(`flywheel release: ${error.message}\n`);
    return EXIT_USAGE;
  }
  const client = new KubeClient(connection);
  const namespace = parsed.values.namespace ?? connection.namespace ?? 'default';
  const path = objectPath(MICROSERVICE, namespace, name);

  try {
    if (command !== 'status') {
      // The operator would ignore a command that does not fit the release's phase and report
      // that only in an Event, so the CLI rejects it here, where the user sees the reason.
      const current = await client.request<Microservice>('GET', path);
      const blocker = commandBlocker(command, current.status?.release, revisionOf(current.spec));
      if (blocker !== undefined) {
        io.stderr(`flywheel release: cannot ${command} Microservice ${namespace}/${name}: ${blocker}\n`);
        return EXIT_FAILURE;
      }
      await client.request('PATCH', path, {
        body: { metadata: { annotations: { [COMMAND_ANNOTATION]: command, [COMMAND_ID_ANNOTATION]: randomUUID() } } },
        contentType: MERGE_PATCH,
      });
      io.stdout(`requested "${command}" for Microservice ${namespace}/${name}; the operator runs it on its next reconcile\n`);
      if (!parsed.values.watch) return EXIT_OK;
    }
    const microservice = await client.request<Microservice>('GET', path);
    if (!parsed.values.watch) {
      io.stdout(formatRelease(microservice, new Date()));
      return EXIT_OK;
    }
    await watchRelease(client, microservice, io, options);
    return EXIT_OK;
  } catch (error) {
    if (isNotFound(error)) {
      io.stderr(`flywheel release: Microservice ${namespace}/${name} not found; check the name and the namespace (-n)\n`);
    } else {
      io.stderr(`flywheel release: failed to ${command} Microservice ${namespace}/${name}: ${(error as Error).message}\n`);
    }
    return EXIT_FAILURE;
  }
}

/**
 * Redraws the view on every watch event of the Microservice, and with a cleared screen
 * also once a second, so that the time left in a pause counts down. Resumes the watch
 * when the API server closes it.
 */
async function watchRelease(client: KubeClient, first: Microservice, io: CommandIo, options: ReleaseCommandOptions): Promise<void> {
  const { namespace, name } = first.metadata;
  const stop = new AbortController();
  options.signal?.addEventListener('abort', () => stop.abort(), { once: true });
  let latest = first;
  let deleted = false;
  const draw = () => io.stdout(`${options.clearScreen ? CLEAR_SCREEN : '\n'}${formatRelease(latest, new Date())}`);
  draw();
  const ticker = options.clearScreen ? setInterval(draw, 1000) : undefined;
  try {
    while (!stop.signal.aborted) {
      const query = { fieldSelector: `metadata.name=${name}`, resourceVersion: latest.metadata.resourceVersion };
      await client.watch<Microservice>(collectionPath(MICROSERVICE, namespace), query, (event) => {
        if (event.type === 'DELETED') {
          deleted = true;
          stop.abort();
          return;
        }
        if (event.type !== 'ADDED' && event.type !== 'MODIFIED') return;
        latest = event.object;
        draw();
      }, stop.signal);
    }
  } finally {
    clearInterval(ticker);
  }
  if (deleted) io.stdout(`Microservice ${namespace}/${name} was deleted\n`);
}
