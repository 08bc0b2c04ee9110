#!/usr/bin/env node
/**
 * The `flywheel` command: `flywheel COMMAND [ARGS...]`. Each command's module is loaded
 * only when it runs. kubectl starts `flywheel eks token` for every request it
 * authenticates, so that path should not load the operator's Kubernetes client.
 */
import type { CommandIo } from './eks.ts';

const EXIT_USAGE = 2;

interface Command {
  /** One line for the command list. */
  summary: string;
  run(argv: string[], io: CommandIo): Promise<number>;
}

/** Runs `flywheel release ARGV...`; Ctrl-C ends a --watch and exits normally. */
async function runRelease(argv: string[], io: CommandIo): Promise<number> {
  const { runReleaseCommand } = await import('./release.ts');
  const interrupt = new AbortController();
  process.once('SIGINT', () => interrupt.abort());
  return runReleaseCommand(argv, io, { signal: interrupt.signal, clearScreen: process.stdout.isTTY === true });
}

/** The release subcommands, which also work without the word "release", as in `flywheel status orders`. */
export const RELEASE_SHORTHANDS = ['status', 'promote', 'abort', 'retry', 'pause', 'resume'];

/** Every command, in the order `flywheel --help` lists them. */
export const COMMANDS: Record<string, Command> = {
  operator: {
    summary: 'Run the operator: reconcile Microservices in the current cluster',
    run: async (argv) => (await import('../main.ts')).runOperator(argv),
  },
  synth: {
    summary: 'Render Microservice manifests into plain Kubernetes YAML for GitOps',
    run: async (argv, io) => (await import('./synth.ts')).runSynthCommand(argv, io),
  },
  release: {
    summary: `Show or steer a canary release: ${RELEASE_SHORTHANDS.join(', ')}`,
    run: runRelease,
  },
  eks: {
    summary: 'Connect to Amazon EKS clusters and print the IAM policies Flywheel needs',
    run: async (argv, io) => (await import('./eks.ts')).runEksCommand(argv, io),
  },
};

export function helpText(): string {
  const lines = Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(10)} ${command.summary}`);
  return `Usage: flywheel COMMAND [OPTIONS]

Commands:
${lines.join('\n')}

The release commands also work on their own, as in 'flywheel status NAME'.
Run 'flywheel COMMAND --help' for a command's options.
`;
}

/** Runs the command line and returns the exit code; 2 means a wrong command line. */
export async function runCli(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr(helpText());
    return EXIT_USAGE;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout(helpText());
    return 0;
  }
  if (RELEASE_SHORTHANDS.includes(name)) return runRelease(argv, io);
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.stderr(`flywheel: unknown command "${name}"; run 'flywheel --help' for the list\n`);
    return EXIT_USAGE;
  }
  return command.run(rest, io);
}

if (import.meta.main) {
  const io: CommandIo = {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  };
  runCli(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
      // The operator and a release --watch keep sockets and timers open until they
      // return; exiting here ends anything a library left behind.
      const command = process.argv[2] ?? '';
      if (command === 'operator' || command === 'release' || RELEASE_SHORTHANDS.includes(command)) process.exit(code);
    },
    (error: unknown) => {
      process.stderr.write(`flywheel: ${error instanceof Error ? error.message : String(error)}\n`);
      if (error instanceof Error && error.cause instanceof Error) process.stderr.write(`  cause: ${error.cause.message}\n`);
      process.exit(1);
    },
  );
}
