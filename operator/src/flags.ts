/**
 * Command-line flags that fall back to environment variables, shared by the operator's
 * configuration and the benchmark: one table describes each flag's type, variable and
 * help line.
 */
import { parseArgs } from 'node:util';

export interface FlagSpec {
  type: 'string' | 'boolean';
  /** Environment variable read when the flag is absent; empty for none. */
  env: string;
  help: string;
}

export interface ParsedFlags<Name extends string> {
  help: boolean;
  /** The flag's value, else its non-empty environment variable, else undefined. */
  value(name: Name): string | undefined;
}

/**
 * Parses `argv` against `flags`. An unknown flag or a positional argument throws the error
 * that `toError` makes from a message which ends by pointing at --help.
 */
export function parseFlags<Name extends string>(
  argv: string[],
  env: NodeJS.ProcessEnv,
  flags: Record<Name, FlagSpec>,
  toError: (message: string) => Error,
): ParsedFlags<Name> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: Object.fromEntries(Object.entries<FlagSpec>(flags).map(([name, flag]) => [name, { type: flag.type }])),
      allowPositionals: false,
    });
  } catch (error) {
    throw toError(`${(error as Error).message}; run with --help for the list of options`);
  }

  const values = parsed.values as Record<string, string | boolean | undefined>;
  return {
    help: values.help === true,
    value(name) {
      const flag = values[name];
      if (typeof flag === 'string') return flag;
      const variable = flags[name].env;
      return variable ? env[variable] || undefined : undefined;
    },
  };
}

/** Formats the help text: the usage line, then one line per flag with its variable. */
export function flagHelp(usage: string, flags: Record<string, FlagSpec>, width = Math.max(...Object.keys(flags).map((name) => name.length))): string {
  const lines = Object.entries(flags).map(([name, flag]) => {
    const env = flag.env ? ` [${flag.env}]` : '';
    return `  --${name.padEnd(width)} ${flag.help}${env}`;
  });
  return `Usage: ${usage}\n\n${lines.join('\n')}\n`;
}
