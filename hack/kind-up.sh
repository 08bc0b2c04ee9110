#!/usr/bin/env bash
# Creates the kind cluster "flywheel" for trying the Helm chart with the real operator
# image, and installs Istio's CRDs into it. The admin kubeconfig goes to
# .flywheel/kubeconfig, the same file the local control plane uses, so run
# `make cluster-down` first if that one is up. Needs Docker (or another engine kind
# supports) and kind on PATH; `make kind-deploy` then installs the chart.
#
# NOTE: not run on the machines this was written on, because they have no container
# engine. It delegates to the kind path of hack/cluster-up.sh, untested for the same reason.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)

die() {
  printf '[kind-up] error: %s\n' "$*" >&2
  exit 1
}

[[ $# -eq 0 ]] || die "unexpected argument '$1'; kind-up.sh takes no arguments"
command -v docker >/dev/null || die "docker not found on PATH; kind needs a container engine"
docker info >/dev/null 2>&1 || die "the Docker engine is not reachable; start it and run make kind-up again"
command -v kind >/dev/null || die "kind not found on PATH; install it from https://kind.sigs.k8s.io"

CLUSTER=kind exec "$here/cluster-up.sh"
