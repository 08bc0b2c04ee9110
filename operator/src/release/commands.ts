/**
 * Release commands arrive as annotations on the Microservice, so that `kubectl annotate`
 * works as well as the CLI and RBAC on Microservices is all a user needs. The operator
 * executes a command once, records its id in status.release.lastCommandId and then
 * removes the annotations.
 */
import type { ReleaseStatus } from '../../../cdk8s/src/api/release.ts';
import { splitting } from './tracks.ts';
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

/**
 * Returns why `name` would be ignored for a release in `status` whose spec is at
 * `revision`, or undefined when the command applies. The operator and the CLI share it.
 */
export function commandBlocker(name: ReleaseCommandName, status: ReleaseStatus | undefined, revision: string): string | undefined {
  const phase = status?.phase ?? 'Idle';
  const running = status !== undefined && (phase === 'Progressing' || phase === 'Paused') && splitting(status) && status.canaryRevision === revision;
  switch (name) {
    case 'promote':
    case 'abort':
      return running ? undefined : `the release is ${phase}; ${name} applies while a canary is Progressing or Paused`;
    case 'pause':
      return running && phase === 'Progressing' ? undefined : `the release is ${phase}; pause applies while a canary is Progressing`;
    case 'resume':
      return running && phase === 'Paused' ? undefined : `the release is ${phase}; resume applies while a canary is Paused`;
    case 'retry':
      return phase === 'Aborted' && status?.canaryRevision === revision
        ? undefined
        : `the release is ${phase}; retry applies after an abort, while the spec still names the aborted revision`;
  }
}
