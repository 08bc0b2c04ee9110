#!/usr/bin/env node
/**
 * The `flywheel` command: `flywheel COMMAND [ARGS...]`. Each command's module is loaded
 * only when it runs, because kubectl starts `flywheel eks token` for every request it
 * authenticates, and that path should not load the operator's Kubernetes client.
 */
import type { CommandIo } from './eks.ts';

const EXIT_USAGE = 2;

interface Command {
  /** One line for the command list. */
  summary: string;
  run(argv: string[], io: CommandIo): Promise<number>;
}

/**
 * Every command, in the order `flywheel --help` lists them. Release commands that act on
 * one Microservice (status, promote, abort, retry, pause, resume) go in the same table.
 */
export const COMMANDS: Record<string, Command> = {
  operator: {
    summary: 'Run the operator: reconcile Microservices in the current cluster',
    run: async (argv) => (await import('../main.ts')).runOperator(argv),
  },
  synth: {
    summary: 'Render Microservice manifests into plain Kubernetes YAML for GitOps',
    run: async (argv, io) => (await import('./synth.ts')).runSynthCommand(argv, io),
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
      // The operator keeps sockets and timers open until it has stopped, then returns;
      // exiting here ends anything a library left behind.
      if (process.argv[2] === 'operator') process.exit(code);
    },
    (error: unknown) => {
      process.stderr.write(`flywheel: ${error instanceof Error ? error.message : String(error)}\n`);
      if (error instanceof Error && error.cause instanceof Error) process.stderr.write(`  cause: ${error.cause.message}\n`);
      process.exit(1);
    },
  );
}
