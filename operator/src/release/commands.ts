/**
 * Release commands arrive as annotations on the Microservice, so that `kubectl annotate`
 * works as well as the CLI and RBAC on Microservices is all a user needs. The operator
 * executes a command once, records its id in status.release.lastCommandId and then
 * removes the annotations.
 */
import { RELEASE_COMMANDS, type ReleaseCommand, type ReleaseCommandName } from './types.ts';

export const COMMAND_ANNOTATION = 'flywheel.dev/release-command';
/** Unique id of the command; without it a repeat of the same command could run twice. */
export const COMMAND_ID_ANNOTATION = 'flywheel.dev/release-command-id';

export type ParsedCommand = { command: ReleaseCommand } | { invalid: string } | undefined;

export function isCommandName(value: string): value is ReleaseCommandName {
  return (RELEASE_COMMANDS as readonly string[]).includes(value);
}

/** Reads the command annotations; undefined when there are none. */
export function commandFromAnnotations(annotations: Record<string, string> | undefined): ParsedCommand {
  const name = annotations?.[COMMAND_ANNOTATION]?.trim();
  if (name === undefined) return undefined;
  if (!isCommandName(name)) {
    return { invalid: `annotation ${COMMAND_ANNOTATION} has the invalid value "${name}"; use one of ${RELEASE_COMMANDS.join(', ')}` };
  }
  return { command: { name, id: annotations?.[COMMAND_ID_ANNOTATION] || undefined } };
}
