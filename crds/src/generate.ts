/**
 * Writes the generated files: the CRD YAML, the Helm chart's copy of it and the chart's
 * RBAC rules. Run with `npm run generate`; `--check` only compares.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderRbacRulesTemplate } from '../../operator/src/rbac/chart-template.ts';
import { renderCrdYaml } from './yaml.ts';

const crd = renderCrdYaml();
// Helm installs CRDs only from the chart's own crds/ directory, so the chart needs a copy.
const OUTPUTS: Array<[string, string]> = [
  ['../microservices.flywheel.dev.yaml', crd],
  ['../../charts/flywheel/crds/microservices.flywheel.dev.yaml', crd],
  ['../../charts/flywheel/templates/_rbac-rules.tpl', renderRbacRulesTemplate()],
];
const TARGETS = OUTPUTS.map(([path, content]) => [fileURLToPath(new URL(path, import.meta.url)), content] as const);

const check = process.argv.includes('--check');
let drifted = 0;

for (const [target, expected] of TARGETS) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // A missing file counts as drift.
  }
  if (current === expected) continue;
  if (check) {
    console.error(`${target} is out of date; run \`npm run generate\` and commit the result`);
    drifted += 1;
  } else {
    writeFileSync(target, expected);
    console.log(`wrote ${target}`);
  }
}
process.exitCode = drifted > 0 ? 1 : 0;
