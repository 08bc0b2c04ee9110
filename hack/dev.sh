#!/usr/bin/env bash
# The main job on the local control plane: starts the cluster (unless it is running),
# installs the CRD, starts the operator, applies examples/ and shows the Microservices
# until they are Ready. Keeps running with the operator's logs until Ctrl-C, then stops
# the operator, and the cluster too when this script started it.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# The namespace of the Microservices in examples/.
examples_namespace=shop
cd "$root"
export KUBECONFIG="$root/.flywheel/kubeconfig"
# Bold only on a terminal, so that a redirected log has no escape codes.
if [[ -t 2 ]]; then
  log() { printf '\033[1m[dev]\033[0m %s\n' "$*" >&2; }
else
  log() { printf '[dev] %s\n' "$*" >&2; }
fi

started_cluster=false
if ! hack/component.sh status >/dev/null 2>&1; then
  started_cluster=true
fi
hack/cluster-up.sh

operator_pid=""
cleanup() {
  trap - EXIT INT TERM
  if [[ -n "$operator_pid" ]] && kill -0 "$operator_pid" 2>/dev/null; then
    log "stopping the operator"
    kill -TERM "$operator_pid" 2>/dev/null || true
    wait "$operator_pid" 2>/dev/null || true
  fi
  if [[ "$started_cluster" == true ]]; then
    log "stopping the local control plane"
    hack/cluster-down.sh || true
  fi
}
trap cleanup EXIT INT TERM

log "installing the Microservice CRD"
kubectl apply --server-side --force-conflicts -f crds/microservices.flywheel.dev.yaml >/dev/null
kubectl wait --for=condition=Established --timeout=60s crd/microservices.flywheel.dev >/dev/null

log "starting the operator (logs below)"
# The same Node.js flag as the image: a smaller heap, for somewhat more CPU time in
# garbage collection (docs/benchmarks.md).
FLYWHEEL_LOG_FORMAT=${FLYWHEEL_LOG_FORMAT:-text} node --optimize-for-size operator/src/main.ts --kubeconfig "$KUBECONFIG" "$@" &
operator_pid=$!

log "applying examples/"
kubectl apply -f examples/namespace.yaml >/dev/null
kubectl apply -f examples/ >/dev/null

expected=$(kubectl get microservices -n "$examples_namespace" --no-headers | wc -l)
for _ in $(seq 1 120); do
  ready=$(kubectl get microservices -n "$examples_namespace" -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c '^True$' || true)
  [[ "$ready" -ge "$expected" ]] && break
  kill -0 "$operator_pid" 2>/dev/null || { log "the operator exited; see its logs above"; exit 1; }
  sleep 1
done
kubectl get microservices -n "$examples_namespace"
log "$ready/$expected Microservices are Ready. Try: kubectl get microservices,deployments,services -n $examples_namespace"
log "press Ctrl-C to stop"
wait "$operator_pid"
