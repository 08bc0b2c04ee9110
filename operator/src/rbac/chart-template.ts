/**
 * Writes the operator's RBAC rules as Helm named templates, one per permission set, for
 * charts/flywheel/templates/_rbac-rules.tpl. templates/rbac.yaml includes them in the
 * Roles it creates, so the rules live in code and the chart decides only the bindings.
 * The rules are plain YAML except for the Lease name, which the release decides.
 */
import { stringify } from 'yaml';
import { operatorPermissions, type OperatorPermissions } from './rules.ts';

const HEADER =
  '{{- /* Generated from operator/src/rbac by `npm run generate`. Do not edit by hand. */ -}}\n';

/** The Helm template name of each permission set, as templates/rbac.yaml includes it. */
export const TEMPLATE_NAMES: Record<keyof OperatorPermissions, string> = {
  manager: 'flywheel.rules.manager',
  mesh: 'flywheel.rules.mesh',
  leaderElection: 'flywheel.rules.leaderElection',
  metricsAuth: 'flywheel.rules.metricsAuth',
  metricsReader: 'flywheel.rules.metricsReader',
};

/**
 * The Lease name as a Helm expression, so the Role names the Lease that the chart passes
 * to the operator. Go templates take backquoted strings, which need no YAML escaping.
 */
export const LEASE_NAME_EXPRESSION = '{{ include `flywheel.leaseName` . }}';

export function renderRbacRulesTemplate(permissions: OperatorPermissions = operatorPermissions({ leaseName: LEASE_NAME_EXPRESSION })): string {
  const sections = (Object.keys(TEMPLATE_NAMES) as Array<keyof OperatorPermissions>).map((set) => {
    const rules = stringify(permissions[set], { lineWidth: 0 }).trimEnd();
    return `{{- define "${TEMPLATE_NAMES[set]}" -}}\n${rules}\n{{- end }}\n`;
  });
  return HEADER + sections.join('\n');
}
