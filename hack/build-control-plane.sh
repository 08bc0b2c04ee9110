#!/usr/bin/env bash
# Builds etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok and helm
# from their Go modules, and fetches Istio's CRD YAML from the istio.io/api module.
# Results are cached under $FLYWHEEL_CACHE keyed by the pinned versions, so a second
# run with the same pins only checks the stamp. Prints the bin directory on stdout.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=hack/versions.sh
source "$here/versions.sh"

cache_root=${FLYWHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flywheel}
# The key covers only what changes the binaries, so pinning an unrelated tool in
# versions.sh does not cost a rebuild.
key=$({
  echo "$KUBERNETES_VERSION $ETCD_VERSION $KWOK_VERSION $HELM_VERSION $ISTIO_API_VERSION"
  cat "$here/build-control-plane.sh" "$here/controlplane/go.mod" "$here/etcd/go.mod"
} | sha256sum | cut -c1-16)
bin="$cache_root/tools-$key/bin"
stamp="$cache_root/tools-$key/complete"

log() { printf '[build-control-plane] %s\n' "$*" >&2; }

if [[ -f "$stamp" ]]; then
  echo "$bin"
  exit 0
fi

mkdir -p "$bin"
started=$SECONDS
export GOFLAGS=-mod=mod CGO_ENABLED=0

minor=${KUBERNETES_VERSION#v1.}
minor=${minor%%.*}
version_pkg=k8s.io/component-base/version
client_version_pkg=k8s.io/client-go/pkg/version
build_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
ldflags="-s -w"
for pkg in "$version_pkg" "$client_version_pkg"; do
  ldflags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
done

for cmd in kube-apiserver kube-controller-manager kube-scheduler; do
  log "building $cmd $KUBERNETES_VERSION ($((SECONDS - started))s elapsed)"
  (cd "$here/controlplane" && go build -trimpath -ldflags "$ldflags" -o "$bin/$cmd" "k8s.io/kubernetes/cmd/$cmd")
done

log "building etcd $ETCD_VERSION ($((SECONDS - started))s elapsed)"
(cd "$here/etcd" && go build -trimpath -ldflags "-s -w" -o "$bin/etcd" go.etcd.io/etcd/server/v3)

log "building kwok $KWOK_VERSION ($((SECONDS - started))s elapsed)"
GOBIN="$bin" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"

log "building helm $HELM_VERSION ($((SECONDS - started))s elapsed)"
GOBIN="$bin" go install -trimpath -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION" \
  "helm.sh/helm/v4/cmd/helm@$HELM_VERSION"

log "fetching Istio CRDs from istio.io/api $ISTIO_API_VERSION"
istio_dir=$(go mod download -json "istio.io/api@$ISTIO_API_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
cp "$istio_dir/kubernetes/customresourcedefinitions.gen.yaml" "$bin/../istio-crds.yaml"
chmod 0644 "$bin/../istio-crds.yaml"

touch "$stamp"
log "done in $((SECONDS - started))s"
echo "$bin"
