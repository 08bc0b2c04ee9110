/** Renders a Microservice's release status as text for `flywheel release status`. */
import type { Microservice } from '../../../cdk8s/src/api/microservice.ts';
import { describeStep, canarySteps } from '../release/steps.ts';
import { parseDuration } from '../release/duration.ts';

const BAR_WIDTH = 40;

/** Draws a bar of BAR_WIDTH characters, filled in proportion to `percent`. */
export function progressBar(percent: number): string {
  const clamped = Math.max(0, Math.min(100, percent));
  const filled = Math.round((clamped / 100) * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
}

function formatDuration(milliseconds: number): string {
  const seconds = Math.max(0, Math.ceil(milliseconds / 1000));
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes}m${String(seconds % 60).padStart(2, '0')}s` : `${seconds}s`;
}

/** Returns the status view of `microservice` at time `now`. */
export function formatRelease(microservice: Microservice, now: Date): string {
  const { namespace, name } = microservice.metadata;
  const status = microservice.status;
  const release = status?.release;
  const lines = [`Microservice  ${namespace}/${name}   phase ${status?.phase ?? 'Unknown'}`];
  if (!release) {
    lines.push('Release       none recorded yet; the operator has not reconciled this Microservice');
    return `${lines.join('\n')}\n`;
  }

  const strategy = microservice.spec.release?.strategy ?? 'Rolling';
  lines.push(`Strategy      ${strategy}`);
  lines.push(`Release       ${release.phase}${release.pauseReason ? ` (${release.pauseReason})` : ''}`);
  lines.push(`Stable        ${release.stableRevision}   image ${release.stableSpec?.image ?? 'unknown'}`);
  if (release.canaryRevision && release.canaryRevision !== release.stableRevision) {
    lines.push(`Canary        ${release.canaryRevision}   image ${microservice.spec.image}   pods ${release.canaryReplicas ?? 0}`);
  }
  const approximate = release.trafficSplit === 'Replicas' ? '  (approximate: split by pod counts, the mesh is off)' : '';
  lines.push(`Weight        ${progressBar(release.weight)} ${String(release.weight).padStart(3)}% to canary${approximate}`);

  if (strategy === 'Canary') {
    const steps = canarySteps(microservice.spec.release?.canary);
    const current = release.stepIndex ?? 0;
    const active = release.phase === 'Progressing' || release.phase === 'Paused';
    lines.push('Steps');
    steps.forEach((step, index) => {
      let marker = '   ';
      if (release.phase === 'Promoted' || (active && index < current)) marker = ' ✓ ';
      else if (active && index === current) marker = ' ▶ ';
      let detail = '';
      if (active && index === current && step.pause?.duration && release.stepStartedAt && release.phase === 'Progressing') {
        const left = Date.parse(release.stepStartedAt) + parseDuration(step.pause.duration) - now.getTime();
        detail = `  (${formatDuration(left)} left)`;
      }
      lines.push(`  ${marker}${index + 1}. ${describeStep(step)}${detail}`);
    });
  }

  const analysis = release.analysis;
  if (analysis && (analysis.successes + analysis.failures + analysis.inconclusive > 0)) {
    lines.push(`Analysis      ${analysis.successes} successful, ${analysis.failures} failed, ${analysis.inconclusive} inconclusive`);
    if (analysis.lastMetric) {
      lines.push(`  last        ${analysis.lastResult}: ${analysis.lastMetric} = ${analysis.lastValue} (limit ${analysis.lastLimit}) at ${analysis.lastRunAt}`);
      lines.push(`  query       ${analysis.lastQuery}`);
    }
  }
  if (release.scaleDownAt) lines.push(`Scale-down    canary pods stop at ${release.scaleDownAt}`);
  if (release.message) lines.push(`Message       ${release.message}`);
  return `${lines.join('\n')}\n`;
}
