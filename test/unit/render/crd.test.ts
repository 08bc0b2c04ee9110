import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderCrdYaml } from '../../../crds/src/yaml.ts';

describe('CRD YAML', () => {
  it('matches crds/src', () => {
    const committed = readFileSync(new URL('../../../crds/microservices.flywheel.dev.yaml', import.meta.url), 'utf8');
    expect(committed, 'run `npm run generate` and commit the result').toBe(renderCrdYaml());
  });
});
