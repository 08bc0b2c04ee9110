/** Expands a canary spec into its list of steps, presets included. */
import type { CanaryPreset, CanarySpec, CanaryStep } from '../../../cdk8s/src/api/release.ts';

/** The step lists of the presets, after the AWS CodeDeploy predefined configurations. */
const PRESET_STEPS: Record<CanaryPreset, CanaryStep[]> = {
  Canary10Percent5Minutes: canary(10, '5m'),
  Canary10Percent10Minutes: canary(10, '10m'),
  Canary10Percent15Minutes: canary(10, '15m'),
  Canary10Percent30Minutes: canary(10, '30m'),
  Linear10PercentEvery1Minute: linear(10, '1m'),
  Linear10PercentEvery1Minutes: linear(10, '1m'),
  Linear10PercentEvery2Minutes: linear(10, '2m'),
  Linear10PercentEvery3Minutes: linear(10, '3m'),
  Linear10PercentEvery10Minutes: linear(10, '10m'),
  AllAtOnce: [{ setWeight: 100 }],
};

/** `percent` to the canary for `duration`, then all traffic. */
function canary(percent: number, duration: string): CanaryStep[] {
  return [{ setWeight: percent }, { pause: { duration } }, { setWeight: 100 }];
}

/** `percent` more every `duration` until 100, with no pause after the last raise. */
function linear(percent: number, duration: string): CanaryStep[] {
  const steps: CanaryStep[] = [];
  for (let weight = percent; weight < 100; weight += percent) {
    steps.push({ setWeight: weight }, { pause: { duration } });
  }
  steps.push({ setWeight: 100 });
  return steps;
}

/** Returns the steps of `canary`: its preset's list, its own steps, or AllAtOnce when it has neither. */
export function canarySteps(canary: CanarySpec | undefined): CanaryStep[] {
  if (canary?.steps && canary.steps.length > 0) return canary.steps;
  if (canary?.preset) {
    const steps = PRESET_STEPS[canary.preset];
    if (!steps) throw new Error(`unknown canary preset "${canary.preset}"; use one of ${Object.keys(PRESET_STEPS).join(', ')}`);
    return steps;
  }
  return PRESET_STEPS.AllAtOnce;
}

/** Describes a step in a few words, for status and the CLI. */
export function describeStep(step: CanaryStep | undefined): string {
  if (!step) return 'done';
  if (step.setWeight !== undefined) return `setWeight ${step.setWeight}`;
  if (step.pause) return step.pause.duration ? `pause ${step.pause.duration}` : 'pause until promoted';
  if (step.analysis) return 'analysis';
  return 'empty step';
}
