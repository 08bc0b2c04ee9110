/**
 * The canary release state machine, as a pure function: from the spec, the previous
 * release status, the observed Deployments and Istio objects, the clock, an analysis
 * run and a release command, it computes the next status, what to render and when to
 * look again. All progress lives in the status, so a restarted operator continues
 * where the last one stopped.
 *
 * The rules it enforces:
 * - the canary weight rises only once the canary Deployment has all the pods that the
 *   new weight needs available, and with the mesh only once the canary subset is live;
 * - the stable track keeps enough pods for its share of the current weight;
 * - a promotion rolls the new revision out on the stable Deployment before traffic
 *   leaves the canary;
 * - failed analysis beyond `failureLimit` aborts at once (weight 0); inconclusive
 *   analysis beyond `inconclusiveLimit` pauses, because missing data is no evidence of
 *   a bad revision;
 * - a spec change during a release restarts it from step 0 for the new revision.
 */
import type { MicroserviceSpec } from '../../../cdk8s/src/api/microservice.ts';
import type { AnalysisStatus, CanarySpec, ReleaseStatus } from '../../../cdk8s/src/api/release.ts';
import { revisionOf } from '../../../cdk8s/src/release/revision.ts';
import { DEFAULT_ABORT_SCALE_DOWN_DELAY_SECONDS, DEFAULT_SCALE_DOWN_DELAY_SECONDS, RELEASE_POLL_MS } from '../runtime/constants.ts';
import { commandBlocker } from './commands.ts';
import { parseDuration } from './duration.ts';
import { canarySteps, describeStep } from './steps.ts';
import {
  canaryActive,
  canaryReplicasFor,
  renderStateOf,
  rolledOut,
  scaledDown,
  splitting,
  totalReplicas,
} from './tracks.ts';
import type { AnalysisRun, PlanInput, ReleaseEvent, ReleasePlan } from './types.ts';

export function planRelease(input: PlanInput): ReleasePlan {
  const events: ReleaseEvent[] = [];
  const status = nextStatus(input, events);
  const aborted = status.phase === 'Aborted' && status.canaryRevision === revisionOf(input.spec);
  return {
    status,
    render: renderStateOf(status, input),
    requeueAfterMs: wakeAfter(status, input),
    events,
    failure: aborted ? { reason: 'ReleaseAborted', message: status.message ?? 'the canary release was aborted' } : undefined,
  };
}

function nextStatus(input: PlanInput, events: ReleaseEvent[]): ReleaseStatus {
  const { spec, previous } = input;
  const revision = revisionOf(spec);
  const trafficSplit = input.meshEnabled ? 'Mesh' : 'Replicas';

  // A new Microservice, or one created before releases existed, starts on its current spec.
  if (!previous) {
    return { phase: 'Idle', stableRevision: revision, stableSpec: spec, weight: 0, trafficSplit, message: `running revision ${revision}` };
  }
  let status: ReleaseStatus = { ...previous, trafficSplit };

  if (spec.release?.strategy !== 'Canary') return rolling(status, input, revision);

  status = applyCommand(status, input, revision, events);
  if (revision === status.stableRevision) return settle(status, input, revision, events);
  if (status.canaryRevision !== revision) return startRelease(status, input, revision, events);
  if (status.phase === 'Aborted') return cleanUp(status, input);
  if (status.phase !== 'Progressing' && status.phase !== 'Paused') return startRelease(status, input, revision, events);
  return progress(status, input, revision, events);
}

/** Strategy Rolling: the stable Deployment takes every spec change directly. */
function rolling(status: ReleaseStatus, input: PlanInput, revision: string): ReleaseStatus {
  const next: ReleaseStatus = {
    ...status,
    phase: 'Idle',
    stableRevision: revision,
    stableSpec: input.spec,
    weight: 0,
    stepIndex: undefined,
    stepStartedAt: undefined,
    pausedAt: undefined,
    pauseReason: undefined,
    message: `strategy Rolling: the Deployment runs revision ${revision}`,
    scaleDownAt: canaryActive(status) ? (status.scaleDownAt ?? input.now.toISOString()) : undefined,
  };
  return cleanUp(next, input);
}

/** Finishes a promotion, cancels a release or stays idle, for a spec at the stable revision. */
function settle(status: ReleaseStatus, input: PlanInput, revision: string, events: ReleaseEvent[]): ReleaseStatus {
  const { now } = input;
  const promoting = (status.phase === 'Progressing' || status.phase === 'Paused') && status.canaryRevision === revision;
  if (promoting) {
    const total = totalReplicas(input.spec);
    if (!rolledOut(input.observed.stable, revision, total)) {
      return { ...status, stableSpec: input.spec, message: `promoting: waiting for the stable Deployment to run revision ${revision} on ${total} available pods` };
    }
    const delay = input.spec.release?.canary?.scaleDownDelaySeconds ?? DEFAULT_SCALE_DOWN_DELAY_SECONDS;
    const scaleDownAt = new Date(now.getTime() + delay * 1000).toISOString();
    events.push({ type: 'Normal', reason: 'ReleasePromoted', message: `Promoted revision ${revision}; all traffic is on the stable Deployment` });
    return {
      ...status,
      phase: 'Promoted',
      stableSpec: input.spec,
      weight: 0,
      pausedAt: undefined,
      pauseReason: undefined,
      scaleDownAt,
      message: `promoted revision ${revision}; the canary Deployment scales down at ${scaleDownAt}`,
    };
  }

  if (status.phase === 'Progressing' || status.phase === 'Paused' || status.phase === 'Aborted') {
    // The spec went back to the stable revision, the usual way to roll back by hand.
    events.push({ type: 'Normal', reason: 'ReleaseCancelled', message: `Spec is back at stable revision ${revision}; release of ${status.canaryRevision} ended` });
    const scaleDownAt = status.scaleDownAt ?? now.toISOString();
    return cleanUp(
      { ...status, phase: 'Idle', stableSpec: input.spec, weight: 0, pausedAt: undefined, pauseReason: undefined, scaleDownAt, message: `running stable revision ${revision}; the release of ${status.canaryRevision} ended` },
      input,
    );
  }
  return cleanUp({ ...status, stableSpec: input.spec }, input);
}

/** Clears scaleDownAt once that time has passed and the canary pods are gone, so the canary Deployment is pruned. */
function cleanUp(status: ReleaseStatus, input: PlanInput): ReleaseStatus {
  if (status.scaleDownAt === undefined) return status;
  if (input.now.getTime() < Date.parse(status.scaleDownAt) || !scaledDown(input.observed.canary)) return status;
  return { ...status, scaleDownAt: undefined, canaryReplicas: 0 };
}

function startRelease(status: ReleaseStatus, input: PlanInput, revision: string, events: ReleaseEvent[]): ReleaseStatus {
  const running = (status.phase === 'Progressing' || status.phase === 'Paused') && status.canaryRevision !== undefined && status.canaryRevision !== status.stableRevision;
  events.push(
    running
      ? { type: 'Normal', reason: 'ReleaseRestarted', message: `Spec changed during the release of ${status.canaryRevision}; releasing ${revision} from the first step` }
      : { type: 'Normal', reason: 'ReleaseStarted', message: `Releasing revision ${revision} as a canary beside stable revision ${status.stableRevision}` },
  );
  const started: ReleaseStatus = {
    ...status,
    phase: 'Progressing',
    canaryRevision: revision,
    stepIndex: 0,
    stepStartedAt: input.now.toISOString(),
    weight: 0,
    canaryReplicas: canaryReplicasFor(totalReplicas(input.spec), 0),
    analysis: { successes: 0, failures: 0, inconclusive: 0, stepRuns: 0 },
    scaleDownAt: undefined,
    pausedAt: undefined,
    pauseReason: undefined,
  };
  // An analysis run made for this pass measured the previous state, not this release.
  return progress(started, { ...input, analysis: undefined }, revision, events);
}

/** Applies analysis results, then runs steps until one has to wait. */
function progress(status: ReleaseStatus, input: PlanInput, revision: string, events: ReleaseEvent[]): ReleaseStatus {
  const canary = input.spec.release?.canary ?? {};
  const steps = canarySteps(canary);

  if (input.analysis && canary.analysis) {
    const atAnalysisStep = steps[status.stepIndex ?? 0]?.analysis !== undefined;
    status = { ...status, analysis: recordRun(status.analysis, input.analysis, atAnalysisStep, input.now) };
    const counts = status.analysis as AnalysisStatus;
    if (counts.failures > canary.analysis.failureLimit) {
      return abort(status, input, abortMessage(input.analysis, counts.failures, canary.analysis.failureLimit, status.stableRevision), events);
    }
    if (counts.inconclusive > canary.analysis.inconclusiveLimit && status.pauseReason !== 'Inconclusive') {
      const message =
        `paused: ${counts.inconclusive} inconclusive analysis runs, more than inconclusiveLimit ${canary.analysis.inconclusiveLimit}; ` +
        `last: metric "${input.analysis.metric}" returned ${input.analysis.value} for ${input.analysis.query}. ` +
        'Check that Prometheus scrapes the canary, then run "flywheel release resume" or "abort"';
      events.push({ type: 'Warning', reason: 'AnalysisInconclusive', message });
      return { ...status, phase: 'Paused', pauseReason: 'Inconclusive', pausedAt: input.now.toISOString(), message };
    }
  }
  if (status.phase === 'Paused') return status;

  const total = totalReplicas(input.spec);
  for (let guard = 0; guard <= steps.length; guard += 1) {
    const index = status.stepIndex ?? 0;
    const step = steps[index];
    if (!step) return promote(status, input, revision, events);
    const label = `step ${index + 1}/${steps.length} (${describeStep(step)})`;

    if (step.setWeight !== undefined) {
      const target = step.setWeight;
      if (target > status.weight) {
        const needed = canaryReplicasFor(total, target);
        status = { ...status, canaryReplicas: needed };
        if (!rolledOut(input.observed.canary, revision, needed)) {
          return { ...status, message: `${label}: waiting for ${needed} available canary pods before sending ${target}% of traffic` };
        }
        if (input.meshEnabled && !input.observed.canarySubsetLive) {
          return { ...status, message: `${label}: waiting for the DestinationRule subset "canary" before routing to it` };
        }
      }
      status = { ...status, weight: target, canaryReplicas: canaryReplicasFor(total, target) };
    } else if (step.pause) {
      if (!step.pause.duration) {
        events.push({ type: 'Normal', reason: 'ReleasePaused', message: `Paused at ${label} until promoted or resumed` });
        return { ...status, phase: 'Paused', pauseReason: 'PauseStep', pausedAt: input.now.toISOString(), message: `${label}: paused until "flywheel release resume" or "promote"` };
      }
      const endsAt = Date.parse(status.stepStartedAt ?? input.now.toISOString()) + parseDuration(step.pause.duration);
      if (input.now.getTime() < endsAt) {
        return { ...status, message: `${label}: pausing until ${new Date(endsAt).toISOString()}` };
      }
    } else if (step.analysis) {
      const count = canary.analysis?.count ?? 1;
      const runs = status.analysis?.stepRuns ?? 0;
      if (runs < count) return { ...status, message: `${label}: ${runs} of ${count} analysis runs done` };
    }

    status = nextStep(status, input);
  }
  return status;
}

function nextStep(status: ReleaseStatus, input: PlanInput): ReleaseStatus {
  return {
    ...status,
    stepIndex: (status.stepIndex ?? 0) + 1,
    stepStartedAt: input.now.toISOString(),
    analysis: status.analysis && { ...status.analysis, stepRuns: 0 },
  };
}

/**
 * Starts a promotion: the stable Deployment takes the canary's spec and all pods, while
 * the canary keeps its traffic until settle() observes the finished stable rollout.
 */
function promote(status: ReleaseStatus, input: PlanInput, revision: string, events: ReleaseEvent[]): ReleaseStatus {
  events.push({ type: 'Normal', reason: 'ReleasePromoting', message: `Rolling revision ${revision} out on the stable Deployment` });
  const promoting: ReleaseStatus = { ...status, phase: 'Progressing', stableRevision: revision, stableSpec: input.spec, pausedAt: undefined, pauseReason: undefined };
  return settle(promoting, input, revision, events);
}

function abort(status: ReleaseStatus, input: PlanInput, message: string, events: ReleaseEvent[]): ReleaseStatus {
  const delay = input.spec.release?.canary?.abortScaleDownDelaySeconds ?? DEFAULT_ABORT_SCALE_DOWN_DELAY_SECONDS;
  events.push({ type: 'Warning', reason: 'ReleaseAborted', message });
  return {
    ...status,
    phase: 'Aborted',
    weight: 0,
    pausedAt: undefined,
    pauseReason: undefined,
    scaleDownAt: new Date(input.now.getTime() + delay * 1000).toISOString(),
    message,
  };
}

function abortMessage(run: AnalysisRun, failures: number, limit: number, stableRevision: string): string {
  return (
    `aborted: ${failures} failed analysis runs, more than failureLimit ${limit}; metric "${run.metric}" returned ${run.value}, ` +
    `limit ${run.limit}, query ${run.query}. Traffic is back on stable revision ${stableRevision}; ` +
    'push a fixed revision, or run "flywheel release retry" to try this one again'
  );
}

function recordRun(previous: AnalysisStatus | undefined, run: AnalysisRun, atAnalysisStep: boolean, now: Date): AnalysisStatus {
  const counts = previous ?? { successes: 0, failures: 0, inconclusive: 0 };
  return {
    ...counts,
    successes: counts.successes + (run.result === 'Successful' ? 1 : 0),
    failures: counts.failures + (run.result === 'Failed' ? 1 : 0),
    inconclusive: counts.inconclusive + (run.result === 'Inconclusive' ? 1 : 0),
    stepRuns: (counts.stepRuns ?? 0) + (atAnalysisStep ? 1 : 0),
    lastRunAt: now.toISOString(),
    lastResult: run.result,
    lastMetric: run.metric,
    lastValue: run.value,
    lastLimit: run.limit,
    lastQuery: run.query,
  };
}

/**
 * Applies a release command once: a command whose id equals lastCommandId already ran.
 * A command that does not fit the phase is reported in an Event and otherwise ignored.
 */
function applyCommand(status: ReleaseStatus, input: PlanInput, revision: string, events: ReleaseEvent[]): ReleaseStatus {
  const command = input.command;
  if (!command || (command.id !== undefined && command.id === status.lastCommandId)) return status;
  const next: ReleaseStatus = { ...status, lastCommandId: command.id ?? status.lastCommandId };
  const blocker = commandBlocker(command.name, status, revision);
  if (blocker !== undefined) {
    events.push({ type: 'Normal', reason: 'ReleaseCommandIgnored', message: `Ignored "${command.name}": ${blocker}` });
    return next;
  }
  const done = (message: string): void => {
    events.push({ type: 'Normal', reason: 'ReleaseCommand', message: `Executed "${command.name}": ${message}` });
  };

  switch (command.name) {
    case 'promote':
      done(`promoting revision ${revision} without the remaining steps`);
      return { ...next, stepIndex: canarySteps(input.spec.release?.canary).length, phase: 'Progressing', pausedAt: undefined, pauseReason: undefined };
    case 'abort':
      done(`aborting the release of ${revision}`);
      return abort(
        next,
        input,
        `aborted by command; traffic is back on stable revision ${status.stableRevision}. ` +
          'Run "flywheel release retry" to try this revision again, or set the spec back to the stable revision to end the release',
        events,
      );
    case 'retry':
      done(`restarting the release of ${revision}`);
      return { ...next, canaryRevision: undefined };
    case 'pause':
      done('paused');
      return { ...next, phase: 'Paused', pauseReason: 'Manual', pausedAt: input.now.toISOString(), message: 'paused by command; run "flywheel release resume" to continue' };
    case 'resume':
      done('resumed');
      return resume(next, input);
  }
}

/**
 * Continues a paused release. A pause step ends; after a manual or inconclusive pause
 * the current step gets back the time it had left, and the inconclusive count restarts.
 */
function resume(status: ReleaseStatus, input: PlanInput): ReleaseStatus {
  const resumed: ReleaseStatus = { ...status, phase: 'Progressing', pausedAt: undefined, pauseReason: undefined };
  if (status.pauseReason === 'PauseStep') return nextStep(resumed, input);
  const pausedFor = status.pausedAt ? input.now.getTime() - Date.parse(status.pausedAt) : 0;
  const stepStartedAt = status.stepStartedAt ? new Date(Date.parse(status.stepStartedAt) + pausedFor).toISOString() : undefined;
  const analysis = status.analysis && status.pauseReason === 'Inconclusive' ? { ...status.analysis, inconclusive: 0 } : status.analysis;
  return { ...resumed, stepStartedAt, analysis };
}

/** True when this pass should query Prometheus before planning. */
export function analysisDue(spec: MicroserviceSpec, status: ReleaseStatus | undefined, now: Date): boolean {
  const next = nextAnalysisAt(spec, status);
  return next !== undefined && now.getTime() >= next;
}

/**
 * Time of the next analysis run in epoch milliseconds, or undefined when none is due:
 * analysis runs while the canary receives traffic and at analysis steps, but not during
 * a promotion or a pause caused by inconclusive results.
 */
function nextAnalysisAt(spec: MicroserviceSpec, status: ReleaseStatus | undefined): number | undefined {
  const canary: CanarySpec | undefined = spec.release?.canary;
  if (spec.release?.strategy !== 'Canary' || !canary?.analysis || !status) return undefined;
  if (!splitting(status) || status.canaryRevision !== revisionOf(spec) || status.pauseReason === 'Inconclusive') return undefined;

  const step = canarySteps(canary)[status.stepIndex ?? 0];
  const atAnalysisStep = step?.analysis !== undefined && status.phase === 'Progressing';
  if (!atAnalysisStep && status.weight === 0) return undefined;
  if (atAnalysisStep && (status.analysis?.stepRuns ?? 0) === 0) return 0;
  const last = status.analysis?.lastRunAt;
  return last ? Date.parse(last) + parseDuration(canary.analysis.interval) : 0;
}

/** Milliseconds until the release needs another look: a pause ending, an analysis run, a scale-down or a poll. */
function wakeAfter(status: ReleaseStatus, input: PlanInput): number | undefined {
  const now = input.now.getTime();
  const times: number[] = [];
  const analysisAt = nextAnalysisAt(input.spec, status);
  if (analysisAt !== undefined) times.push(analysisAt);
  if (status.scaleDownAt !== undefined) {
    const at = Date.parse(status.scaleDownAt);
    times.push(at > now ? at : now + RELEASE_POLL_MS);
  }
  if (status.phase === 'Progressing') {
    const step = canarySteps(input.spec.release?.canary)[status.stepIndex ?? 0];
    if (step?.pause?.duration && status.stepStartedAt) times.push(Date.parse(status.stepStartedAt) + parseDuration(step.pause.duration));
    times.push(now + RELEASE_POLL_MS);
  }
  if (times.length === 0) return undefined;
  return Math.max(0, Math.min(...times) - now);
}
