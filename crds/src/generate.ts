/** Writes the generated CRD YAML. Run with `npm run generate`; `--check` only compares. */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderCrdYaml } from './yaml.ts';

const TARGETS = ['../microservices.flywheel.dev.yaml'].map((path) => fileURLToPath(new URL(path, import.meta.url)));

const expected = renderCrdYaml();
const check = process.argv.includes('--check');
let drifted = 0;

for (const target of TARGETS) {
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
