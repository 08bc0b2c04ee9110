#!/usr/bin/env bash
# Stops the cluster that hack/cluster-up.sh started from this checkout. Each
# component gets SIGTERM, then SIGKILL after FLYWHEEL_STOP_GRACE seconds (default 10).
#
# Usage: hack/cluster-down.sh [--purge]
#   --purge  also delete the etcd data, the PKI, the kubeconfigs and the kwok
#            stages, so the next cluster-up.sh starts from an empty cluster.
#            Logs in .flywheel/logs are kept.
#
# With CLUSTER=kind it deletes the kind cluster named flywheel instead. That path has
# only run against a stand-in for the kind binary, because the machines this script
# was written on have no container runtime.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
script_name=cluster-down
# shellcheck source=hack/lib/cluster.sh
source "$here/lib/cluster.sh"

purge=false
for argument in "$@"; do
  case $argument in
    --purge) purge=true ;;
    -h | --help)
      sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
      exit 0
      ;;
    *) die "unknown argument '$argument'; usage: hack/cluster-down.sh [--purge]" ;;
  esac
done

lock_state_dir
if [[ "${CLUSTER:-local}" == kind ]]; then
  command -v kind >/dev/null || die "kind not found on PATH; install kind, or unset CLUSTER to stop the local control plane"
  kind delete cluster --name flywheel --kubeconfig "$admin_kubeconfig"
  rm -f "$admin_kubeconfig"
  exit 0
fi
[[ "${CLUSTER:-local}" == local ]] || die "CLUSTER=$CLUSTER is invalid; expected 'local' or 'kind'"

rm -f "$ready_marker"
for ((index = ${#components[@]} - 1; index >= 0; index--)); do
  stop_component "${components[index]}"
done
# The ports are known only when a cluster-up.sh run saved its settings.
if [[ -f "$settings_file" ]]; then
  load_settings
  for ((index = ${#components[@]} - 1; index >= 0; index--)); do
    stop_leftover_listeners "${components[index]}"
  done
fi

if [[ "$purge" == true ]]; then
  log "deleting etcd data, PKI, kubeconfigs and settings in $state_dir"
  rm -rf "$etcd_dir" "$pki_dir" "$kwok_dir" "$pid_dir" "$settings_file" "$admin_kubeconfig"
  rm -f "$state_dir"/*.kubeconfig
fi
log "cluster stopped"
