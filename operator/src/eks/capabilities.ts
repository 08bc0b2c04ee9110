// Features the operator may use on a cluster, decided from its Kubernetes version.

/** Kubernetes major and minor version. */
export interface KubernetesVersion {
  major: number;
  minor: number;
}

/** Features of a cluster that the operator may rely on. */
export interface ClusterCapabilities {
  /**
   * Native sidecars: init containers with restartPolicy Always, which start before and
   * stop after the main containers. Beta and enabled by default from Kubernetes 1.29 on.
   */
  nativeSidecars: boolean;
}

// Accepts "1.29", "v1.30.2", "1.33-eks-f69f56f", "v1.30.2-eks-1552ad0" and "1.29+": a
// major.minor prefix, optionally followed by a patch, a pre-release or build suffix.
const VERSION_PATTERN = /^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$/;

export function parseKubernetesVersion(version: string): KubernetesVersion {
  const match = VERSION_PATTERN.exec(version.trim());
  if (match === null) {
    throw new Error(
      `invalid Kubernetes version "${version}": expected MAJOR.MINOR with an optional v prefix, patch or suffix, such as 1.29, v1.30.2 or 1.33-eks-f69f56f`,
    );
  }
  return { major: Number(match[1]), minor: Number(match[2]) };
}

export function clusterCapabilities(version: string): ClusterCapabilities {
  const { major, minor } = parseKubernetesVersion(version);
  return {
    nativeSidecars: major > 1 || (major === 1 && minor >= 29),
  };
}
