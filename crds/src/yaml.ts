/** Serialises the CRD the same way for the generator and the drift check. */
import { stringify } from 'yaml';
import { microserviceCrd } from './crd.ts';

const HEADER = '# Generated from crds/src by `npm run generate`. Do not edit by hand.\n';

export function renderCrdYaml(): string {
  return HEADER + stringify(microserviceCrd(), { lineWidth: 0 });
}
