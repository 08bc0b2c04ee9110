#!/usr/bin/env bash
# Loads the operator image into the kind cluster "flywheel" (see hack/kind-up.sh) and
# installs or upgrades the Helm chart there as release "flywheel". The image comes from
# the nodes, never from a registry, so the chart runs what `make image` just built.
# Arguments are passed to `helm upgrade --install`, for example --set platform.mesh.enabled=false.
#
# Environment:
#   IMAGE               image repository (default ghcr.io/flywheel-dev/flywheel-operator)
#   TAG                 image tag (default: the version in package.json)
#   FLYWHEEL_NAMESPACE  namespace of the release (default flywheel-system)
#   HELM                helm binary (default: helm on PATH, else the one that
#                       hack/build-control-plane.sh builds)
#
# NOTE: not run on the machines this was written on, which have no container engine.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

log() { printf '[kind-deploy] %s\n' "$*" >&2; }
die() {
  printf '[kind-deploy] error: %s\n' "$*" >&2
  exit 1
}

image=${IMAGE:-ghcr.io/flywheel-dev/flywheel-operator}
tag=${TAG:-$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$root/package.json")}
namespace=${FLYWHEEL_NAMESPACE:-flywheel-system}
kubeconfig="$root/.flywheel/kubeconfig"
[[ -n "$tag" ]] || die "no TAG given and no version found in $root/package.json"

command -v docker >/dev/null || die "docker not found on PATH"
command -v kind >/dev/null || die "kind not found on PATH; install it from https://kind.sigs.k8s.io"
kind get clusters 2>/dev/null | grep -qx flywheel || die "no kind cluster named flywheel; run make kind-up first"
docker image inspect "$image:$tag" >/dev/null 2>&1 || die "image $image:$tag not found; run make image first"

helm=${HELM:-$(command -v helm || true)}
if [[ -z "$helm" ]]; then
  log "helm not on PATH; building it with hack/build-control-plane.sh"
  helm="$("$here/build-control-plane.sh")/helm"
fi

log "loading $image:$tag into the kind nodes"
kind load docker-image "$image:$tag" --name flywheel

log "installing the chart as release flywheel in namespace $namespace"
"$helm" upgrade --install flywheel "$root/charts/flywheel" \
  --kubeconfig "$kubeconfig" \
  --namespace "$namespace" --create-namespace \
  --set image.repository="$image" \
  --set image.tag="$tag" \
  --set image.pullPolicy=Never \
  --wait --timeout 5m \
  "$@"

log "done; try: kubectl --kubeconfig $kubeconfig apply -f examples/namespace.yaml -f examples/"
