#!/usr/bin/env bash
# Starts a local Kubernetes control plane for development and end-to-end tests, and
# installs Istio's CRDs into it. Writes the admin kubeconfig to .flywheel/kubeconfig.
#
# By default the control plane is etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler and kwok, run as processes on 127.0.0.1 with state, logs and PID
# files under .flywheel/. kwok plays the kubelet for FLYWHEEL_NODE_COUNT fake nodes,
# so pods are scheduled and turn Running and Ready, but no container ever runs.
# With CLUSTER=kind it creates a kind cluster instead.
#
# A rerun against a healthy cluster with the same settings returns at once. Any
# other state left by an earlier run is stopped and the cluster started again,
# keeping the etcd data and the PKI. hack/cluster-down.sh stops the cluster.
#
# Environment:
#   CLUSTER                           "local" (default) or "kind"
#   FLYWHEEL_APISERVER_PORT           kube-apiserver HTTPS port (default 6443)
#   FLYWHEEL_ETCD_PORT                etcd client port (default 2379)
#   FLYWHEEL_ETCD_PEER_PORT           etcd peer port (default 2380)
#   FLYWHEEL_CONTROLLER_MANAGER_PORT  kube-controller-manager HTTPS port (default 10257)
#   FLYWHEEL_SCHEDULER_PORT           kube-scheduler HTTPS port (default 10259)
#   FLYWHEEL_KWOK_PORT                kwok HTTP port for /healthz (default 10247)
#   FLYWHEEL_NODE_COUNT               number of fake nodes (default 2)
#   FLYWHEEL_WAIT_TIMEOUT             seconds to wait for each step (default 60)
#   FLYWHEEL_STOP_GRACE               seconds between SIGTERM and SIGKILL (default 10)
#   FLYWHEEL_BIN                      directory with prebuilt binaries; when unset,
#                                     hack/build-control-plane.sh builds them
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
script_name=cluster-up
# shellcheck source=hack/lib/cluster.sh
source "$here/lib/cluster.sh"
# shellcheck source=hack/versions.sh
source "$here/versions.sh"

if [[ $# -gt 0 ]]; then
  die "unexpected argument '$1'; cluster-up.sh takes no arguments, see the environment variables in its header"
fi

# NOTE: the kind path has only run against a stand-in for the kind binary, because
# the machines this script was written on have no container runtime.
kind_up() {
  command -v kind >/dev/null || die "kind not found on PATH; install kind, or unset CLUSTER to run the local control plane"
  mkdir -p "$state_dir"
  if kind get clusters 2>/dev/null | grep -qx flywheel; then
    log "kind cluster flywheel exists; writing its kubeconfig"
    kind export kubeconfig --name flywheel --kubeconfig "$admin_kubeconfig"
  else
    kind create cluster --name flywheel --kubeconfig "$admin_kubeconfig" --wait "${wait_timeout}s"
  fi
  local istio_dir
  istio_dir=$(go_module_dir "istio.io/api@$ISTIO_API_VERSION")
  install_istio_crds "$istio_dir/kubernetes/customresourcedefinitions.gen.yaml"
  log "cluster is up; export KUBECONFIG=$admin_kubeconfig"
}

# Creates the key at PATH unless it exists. All keys are ECDSA P-256, which every
# component accepts and openssl generates in milliseconds.
ensure_key() {
  [[ -f "$1" ]] && return 0
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
  chmod 0600 "$1"
}

# Succeeds when certificate NAME exists, was signed by the current CA and is valid
# for at least one more day.
cert_is_current() {
  local cert="$pki_dir/$1.crt"
  [[ -f "$cert" ]] &&
    openssl verify -CAfile "$pki_dir/ca.crt" "$cert" >/dev/null 2>&1 &&
    openssl x509 -in "$cert" -noout -checkend 86400 >/dev/null
}

# Issues a certificate NAME.crt, for the key NAME.key, signed by the cluster CA.
# SUBJECT is an openssl -subj string, and the remaining arguments are -addext values.
issue_cert() {
  local name=$1 subject=$2 extension args=()
  shift 2
  for extension in basicConstraints=critical,CA:FALSE keyUsage=critical,digitalSignature "$@"; do
    args+=(-addext "$extension")
  done
  cert_is_current "$name" && return 0
  ensure_key "$pki_dir/$name.key"
  openssl req -x509 -new -sha256 -days 365 -key "$pki_dir/$name.key" \
    -CA "$pki_dir/ca.crt" -CAkey "$pki_dir/ca.key" -subj "$subject" "${args[@]}" \
    -out "$pki_dir/$name.crt" 2>/dev/null ||
    die "openssl failed to issue the $name certificate in $pki_dir"
}

# Creates the CA, the service-account signing key pair and one certificate per
# client. Existing files are kept, so tokens and kubeconfigs stay valid across
# restarts, and only certificates that are missing or about to expire are issued.
ensure_pki() {
  mkdir -p "$pki_dir"
  chmod 0700 "$pki_dir"

  if [[ ! -f "$pki_dir/ca.crt" ]]; then
    log "creating the cluster CA in $pki_dir"
    rm -f "$pki_dir/ca.key"
    ensure_key "$pki_dir/ca.key"
    openssl req -x509 -new -sha256 -days 3650 -key "$pki_dir/ca.key" -subj /CN=flywheel-ca \
      -addext basicConstraints=critical,CA:TRUE \
      -addext keyUsage=critical,keyCertSign,cRLSign,digitalSignature \
      -out "$pki_dir/ca.crt" 2>/dev/null || die "openssl failed to create the CA in $pki_dir"
  fi

  if [[ ! -f "$pki_dir/sa.pub" ]]; then
    rm -f "$pki_dir/sa.key"
    ensure_key "$pki_dir/sa.key"
    openssl pkey -in "$pki_dir/sa.key" -pubout -out "$pki_dir/sa.pub"
  fi

  issue_cert apiserver /CN=kube-apiserver extendedKeyUsage=serverAuth \
    "subjectAltName=DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:$kubernetes_service_ip"
  # system:masters is bound to cluster-admin and bypasses RBAC.
  issue_cert admin /O=system:masters/CN=flywheel-admin extendedKeyUsage=clientAuth
  # These user names are bound by the apiserver's default RBAC policy.
  issue_cert controller-manager /CN=system:kube-controller-manager extendedKeyUsage=clientAuth
  issue_cert scheduler /CN=system:kube-scheduler extendedKeyUsage=clientAuth
  # kwok acts as the kubelet of every fake node. A system:node identity may only
  # write its own node's status, leases and pods, so kwok gets system:masters.
  issue_cert kwok /O=system:masters/CN=kwok-controller extendedKeyUsage=clientAuth
}

# Writes a kubeconfig at PATH that authenticates with certificate NAME.
write_kubeconfig() {
  local path=$1 name=$2
  (
    umask 077
    cat >"$path" <<YAML
apiVersion: v1
kind: Config
clusters:
- name: flywheel
  cluster:
    server: https://127.0.0.1:$FLYWHEEL_APISERVER_PORT
    certificate-authority-data: $(base64 -w0 <"$pki_dir/ca.crt")
users:
- name: $name
  user:
    client-certificate-data: $(base64 -w0 <"$pki_dir/$name.crt")
    client-key-data: $(base64 -w0 <"$pki_dir/$name.key")
contexts:
- name: flywheel
  context:
    cluster: flywheel
    user: $name
current-context: flywheel
YAML
  )
}

# Collects kwok's stock node and pod stages into one --config file. kwok v0.8 ships
# no built-in stages and refuses to start without any, and kwokctl, which normally
# supplies them, is not used here. They come from the kwok module of the pinned
# version, so they match the binary.
write_kwok_stages() {
  local module_dir stage_dir file
  module_dir=$(go_module_dir "sigs.k8s.io/kwok@$KWOK_VERSION")
  stage_dir="$module_dir/kustomize/stage"
  mkdir -p "$kwok_dir"
  {
    for file in \
      node/fast/node-initialize.yaml \
      node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
      pod/fast/pod-ready.yaml \
      pod/fast/pod-complete.yaml \
      pod/fast/pod-delete.yaml; do
      [[ -f "$stage_dir/$file" ]] || die "kwok stage $stage_dir/$file not found; is KWOK_VERSION=$KWOK_VERSION in hack/versions.sh right?"
      printf -- '---\n'
      cat "$stage_dir/$file"
    done
  } >"$kwok_dir/stages.yaml"
}

# Registers the fake nodes. The annotation is what kwok's
# --manage-nodes-with-annotation-selector matches, and the status is the capacity
# that the scheduler uses. The create keeps the status, while a later apply leaves
# it alone, so rerunning this does not reset what kwok has written.
register_nodes() {
  local index name
  for ((index = 0; index < FLYWHEEL_NODE_COUNT; index++)); do
    name="kwok-node-$index"
    cat <<YAML
---
apiVersion: v1
kind: Node
metadata:
  name: $name
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    type: kwok
    kubernetes.io/hostname: $name
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
status:
  allocatable:
    cpu: "32"
    memory: 256Gi
    pods: "110"
  capacity:
    cpu: "32"
    memory: 256Gi
    pods: "110"
YAML
  done | kubectl_admin apply -f - >/dev/null
}

# Polls COMMAND until it succeeds. On timeout, fails with WHAT and the log to read.
wait_until() {
  local what=$1 log_path=$2 started=$SECONDS
  shift 2
  until "$@" >/dev/null 2>&1; do
    ((SECONDS - started < wait_timeout)) ||
      die "timed out after ${wait_timeout}s waiting for $what; see $log_path"
    sleep 0.5
  done
}

# Succeeds when the cluster from this checkout runs with the requested settings
# and every component passes its health check.
cluster_is_up() {
  [[ -f "$ready_marker" && -f "$settings_file" ]] || return 1
  [[ "$(render_settings)" == "$(<"$settings_file")" ]] || return 1
  local name
  for name in "${components[@]}"; do
    component_pid "$name" >/dev/null || return 1
    component_healthy "$name" || return 1
  done
}

# Stops whatever an earlier run left behind: running components, PID files of
# processes that are gone, the ready marker, and processes from this checkout that
# still listen on a port after their PID file was lost. Walking the components
# backwards stops etcd last, because kube-apiserver hangs on shutdown without it.
stop_stale_cluster() {
  local index
  if [[ -f "$ready_marker" ]] || compgen -G "$pid_dir/*.pid" >/dev/null; then
    log "found state from an earlier run; stopping it before starting again"
  fi
  rm -f "$ready_marker"
  for ((index = ${#components[@]} - 1; index >= 0; index--)); do
    stop_component "${components[index]}"
  done
  for ((index = ${#components[@]} - 1; index >= 0; index--)); do
    free_component_ports "${components[index]}"
  done
}

start_local_cluster() {
  local started=$SECONDS bin_dir name

  if [[ -z "${FLYWHEEL_BIN:-}" ]]; then
    bin_dir=$("$here/build-control-plane.sh") || die "hack/build-control-plane.sh failed; see its output above"
    FLYWHEEL_BIN=$bin_dir
  fi
  resolve_settings

  if cluster_is_up; then
    log "cluster from $flywheel_root is already up; export KUBECONFIG=$admin_kubeconfig"
    return 0
  fi
  stop_stale_cluster

  mkdir -p "$state_dir" "$log_dir" "$pid_dir" "$etcd_dir"
  chmod 0700 "$etcd_dir"
  ensure_pki
  write_kubeconfig "$admin_kubeconfig" admin
  write_kubeconfig "$(kubeconfig_for kube-controller-manager)" controller-manager
  write_kubeconfig "$(kubeconfig_for kube-scheduler)" scheduler
  write_kubeconfig "$(kubeconfig_for kwok)" kwok
  write_kwok_stages
  save_settings

  for name in "${components[@]}"; do
    start_component "$name"
  done

  log "registering $FLYWHEEL_NODE_COUNT fake nodes"
  register_nodes
  kubectl_admin wait --for=condition=Ready node --selector=type=kwok --timeout="${wait_timeout}s" >/dev/null ||
    die "fake nodes not Ready after ${wait_timeout}s; see $(log_file kwok)"

  # Pods are rejected until the serviceaccount controller has created the
  # namespace's default ServiceAccount.
  wait_until "ServiceAccount default/default" "$(log_file kube-controller-manager)" \
    kubectl_admin get serviceaccount default --namespace default

  install_istio_crds "$FLYWHEEL_BIN/../istio-crds.yaml"

  touch "$ready_marker"
  log "cluster is up in $((SECONDS - started))s; export KUBECONFIG=$admin_kubeconfig"
}

lock_state_dir
case ${CLUSTER:-local} in
  local) start_local_cluster ;;
  kind) kind_up ;;
  *) die "CLUSTER=$CLUSTER is invalid; expected 'local' or 'kind'" ;;
esac
