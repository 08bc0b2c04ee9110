#!/usr/bin/env bash
# Stops, starts or restarts one component of the local cluster with the flags and
# ports of the last hack/cluster-up.sh run, for tests that take a component down,
# for example to check how the operator behaves while kube-apiserver is gone.
#
# Usage: hack/component.sh stop|start|restart NAME
#        hack/component.sh status
# NAME is one of etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok.
#
# `start` returns once the component reports healthy, or fails after
# FLYWHEEL_WAIT_TIMEOUT seconds (default 60). `stop` sends SIGTERM, then SIGKILL
# after FLYWHEEL_STOP_GRACE seconds (default 10). `status` prints each component's
# state and exits non-zero unless all are running and healthy.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
script_name=component
# shellcheck source=hack/lib/cluster.sh
source "$here/lib/cluster.sh"

usage="usage: hack/component.sh stop|start|restart NAME, or hack/component.sh status"

print_status() {
  local name pid all_healthy=true
  for name in "${components[@]}"; do
    if ! pid=$(component_pid "$name"); then
      printf '%-24s stopped\n' "$name"
      all_healthy=false
    elif component_healthy "$name"; then
      printf '%-24s healthy    pid %s\n' "$name" "$pid"
    else
      printf '%-24s unhealthy  pid %s, see %s\n' "$name" "$pid" "$(log_file "$name")"
      all_healthy=false
    fi
  done
  [[ "$all_healthy" == true ]]
}

action=${1:-}
[[ -n "$action" ]] || die "missing action; $usage"
load_settings

if [[ "$action" == status ]]; then
  print_status
  exit
fi

case $action in
  stop | start | restart) ;;
  *) die "unknown action '$action'; $usage" ;;
esac
name=${2:-}
[[ -n "$name" ]] || die "missing component name; $usage"
is_component "$name" || die "unknown component '$name'; expected one of: ${components[*]}"

lock_state_dir

case $action in
  stop) stop_component "$name" ;;
  start) start_component "$name" ;;
  restart)
    stop_component "$name"
    start_component "$name"
    ;;
esac
