/** Decides version-gated pod features from the platform's Kubernetes version string. */
import { NATIVE_SIDECAR_MIN_MINOR } from './constants.ts';

export interface KubernetesVersion {
  major: number;
  minor: number;
}

/**
 * Parses the major and minor parts of "1.29", "v1.29.3", "1.29+" (as EKS reports its
 * minor) or "1.30.2-eks-1234". Returns undefined for anything else.
 */
export function parseKubernetesVersion(version: string): KubernetesVersion | undefined {
  const match = /^v?(\d+)\.(\d+)(?:\+|[.-][0-9A-Za-z.+-]*)?$/.exec(version.trim());
  if (!match?.[1] || !match[2]) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]) };
}

/**
 * True when init containers with `restartPolicy: Always` run as sidecars: started before
 * the app and stopped after it. Kubernetes 1.28 has the feature behind an alpha gate that
 * is off by default, so it counts as unsupported there.
 */
export function supportsNativeSidecars(version: string): boolean {
  const parsed = parseKubernetesVersion(version);
  if (!parsed) {
    throw new Error(
      `platform Kubernetes version "${version}" is invalid; set it in the form 1.34 (operator flag --kubernetes-version)`,
    );
  }
  return parsed.major > 1 || parsed.minor >= NATIVE_SIDECAR_MIN_MINOR;
}
