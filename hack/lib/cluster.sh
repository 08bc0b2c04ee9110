# shellcheck shell=bash
# Settings and helpers shared by cluster-up.sh, cluster-down.sh and component.sh.
#
# The local control plane runs etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler and kwok as plain processes on 127.0.0.1. All state lives under
# <repo>/.flywheel, so several checkouts on one machine only collide on ports.
# Callers set `script_name` before sourcing this file and enable `set -euo pipefail`.

# The paths and constants below are used by the scripts that source this file.
# shellcheck disable=SC2034

flywheel_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
state_dir="$flywheel_root/.flywheel"
pki_dir="$state_dir/pki"
log_dir="$state_dir/logs"
pid_dir="$state_dir/pids"
etcd_dir="$state_dir/etcd"
kwok_dir="$state_dir/kwok"
admin_kubeconfig="$state_dir/kubeconfig"
# Settings the running cluster was started with, so that component.sh and
# cluster-down.sh act on the same ports and binaries as the last cluster-up.sh.
settings_file="$state_dir/cluster.env"
# Written as the last step of a successful cluster-up.sh. Without it a rerun
# starts over instead of reporting a half-built cluster as up.
ready_marker="$state_dir/ready"

# Start order. Stopping walks the list backwards.
components=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

# The first address of the service range is the ClusterIP of the `kubernetes`
# Service, so it must stay in the apiserver certificate's SANs.
service_cidr=10.96.0.0/16
kubernetes_service_ip=10.96.0.1
# kwok hands out pod IPs from this range. Nothing routes to them.
pod_cidr=10.244.0.0/16

setting_names=(
  FLYWHEEL_BIN
  FLYWHEEL_ETCD_PORT
  FLYWHEEL_ETCD_PEER_PORT
  FLYWHEEL_APISERVER_PORT
  FLYWHEEL_CONTROLLER_MANAGER_PORT
  FLYWHEEL_SCHEDULER_PORT
  FLYWHEEL_KWOK_PORT
  FLYWHEEL_NODE_COUNT
)

# Seconds to wait for each startup step, and for a process to exit after SIGTERM.
wait_timeout=${FLYWHEEL_WAIT_TIMEOUT:-60}
stop_grace=${FLYWHEEL_STOP_GRACE:-10}

log() { printf '[%s] %s\n' "${script_name:-cluster}" "$*" >&2; }

die() {
  printf '[%s] error: %s\n' "${script_name:-cluster}" "$*" >&2
  exit 1
}

# Sets every setting from the environment, falling back to the defaults.
# FLYWHEEL_BIN must already be set.
resolve_settings() {
  : "${FLYWHEEL_ETCD_PORT:=2379}"
  : "${FLYWHEEL_ETCD_PEER_PORT:=2380}"
  : "${FLYWHEEL_APISERVER_PORT:=6443}"
  : "${FLYWHEEL_CONTROLLER_MANAGER_PORT:=10257}"
  : "${FLYWHEEL_SCHEDULER_PORT:=10259}"
  : "${FLYWHEEL_KWOK_PORT:=10247}"
  : "${FLYWHEEL_NODE_COUNT:=2}"

  local name
  for name in "${setting_names[@]}"; do
    [[ -n "${!name:-}" ]] || die "setting $name is empty; set it or unset it to use the default"
  done
  for name in "${setting_names[@]:1}"; do
    [[ "${!name}" =~ ^[0-9]+$ ]] || die "$name=${!name} is invalid: expected a whole number"
  done
}

# Prints the settings in the format of settings_file.
render_settings() {
  local name
  for name in "${setting_names[@]}"; do
    printf '%s=%q\n' "$name" "${!name}"
  done
}

save_settings() {
  render_settings >"$settings_file"
}

# Loads the settings of the last cluster-up.sh run. Fails when there was none.
load_settings() {
  [[ -f "$settings_file" ]] ||
    die "$settings_file not found, so no local cluster was started from $flywheel_root; run hack/cluster-up.sh first"
  # shellcheck source=/dev/null
  source "$settings_file"
}

# Serializes cluster-up.sh, cluster-down.sh and component.sh within this checkout,
# so that parallel test runs cannot start two control planes on the same ports.
# The lock is on file descriptor 9 and is released when the calling script exits.
lock_state_dir() {
  mkdir -p "$state_dir"
  exec 9>"$state_dir/lock"
  if ! flock -n 9; then
    log "waiting for another cluster script in $flywheel_root to finish"
    flock 9
  fi
}

is_component() {
  local name
  for name in "${components[@]}"; do
    [[ "$name" == "$1" ]] && return 0
  done
  return 1
}

pid_file() { printf '%s/%s.pid\n' "$pid_dir" "$1"; }
log_file() { printf '%s/%s.log\n' "$log_dir" "$1"; }

# Succeeds when PID is a live process started by this checkout. Every component
# gets a path under state_dir on its command line, which guards against acting on
# an unrelated process that reused the PID after a reboot or crash.
is_our_process() {
  local pid=$1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$state_dir/"
}

# Prints the PID of the running component NAME, or fails when it is not running.
component_pid() {
  local file pid
  file=$(pid_file "$1")
  [[ -f "$file" ]] || return 1
  pid=$(<"$file")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  is_our_process "$pid" || return 1
  printf '%s\n' "$pid"
}

# Prints the names of the settings that hold the ports of component NAME.
component_port_settings() {
  case $1 in
    etcd) printf '%s\n' FLYWHEEL_ETCD_PORT FLYWHEEL_ETCD_PEER_PORT ;;
    kube-apiserver) printf '%s\n' FLYWHEEL_APISERVER_PORT ;;
    kube-controller-manager) printf '%s\n' FLYWHEEL_CONTROLLER_MANAGER_PORT ;;
    kube-scheduler) printf '%s\n' FLYWHEEL_SCHEDULER_PORT ;;
    kwok) printf '%s\n' FLYWHEEL_KWOK_PORT ;;
  esac
}

# Prints the PIDs of processes listening on TCP PORT on any address. Prints nothing,
# and succeeds, when the port is free.
listener_pids() {
  ss -Htlnp "sport = :$1" 2>/dev/null | { grep -o 'pid=[0-9]*' || true; } | cut -d= -f2 | sort -u
}

# Sends SIGTERM to PID, then SIGKILL once stop_grace seconds have passed.
terminate_process() {
  local pid=$1 label=$2 waited=0
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    if ((waited >= stop_grace * 10)); then
      log "$label (pid $pid) still running ${stop_grace}s after SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  # A killed process can linger for a moment while the kernel releases its ports.
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
}

# Stops component NAME if it runs and removes its PID file.
stop_component() {
  local name=$1 pid
  if pid=$(component_pid "$name"); then
    log "stopping $name (pid $pid)"
    terminate_process "$pid" "$name"
  fi
  rm -f "$(pid_file "$name")"
}

# Stops processes from this checkout that listen on the ports of component NAME
# but have no PID file, for example after the PID files were deleted by hand.
stop_leftover_listeners() {
  local name=$1 setting pid
  while read -r setting; do
    for pid in $(listener_pids "${!setting}"); do
      if is_our_process "$pid"; then
        log "stopping leftover $name process $pid on port ${!setting}"
        terminate_process "$pid" "$name"
      fi
    done
  done < <(component_port_settings "$name")
}

# Stops leftover processes of component NAME like stop_leftover_listeners, then
# fails with the owner's PID when a port still belongs to another program.
free_component_ports() {
  local name=$1 setting port pid
  stop_leftover_listeners "$name"
  while read -r setting; do
    port=${!setting}
    pid=$(listener_pids "$port" | head -n 1)
    if [[ -n "$pid" ]]; then
      die "port 127.0.0.1:$port for $name is in use by pid $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-120)); stop that process or set $setting to a free port"
    fi
    # ss shows listeners of other users without a PID, so check the port itself too.
    if ss -Htln "sport = :$port" | grep -q .; then
      die "port $port for $name is in use by a process this user cannot see; free it or set $setting to a free port"
    fi
  done < <(component_port_settings "$name")
}

kubeconfig_for() {
  case $1 in
    kube-controller-manager) printf '%s\n' "$state_dir/controller-manager.kubeconfig" ;;
    kube-scheduler) printf '%s\n' "$state_dir/scheduler.kubeconfig" ;;
    kwok) printf '%s\n' "$state_dir/kwok.kubeconfig" ;;
  esac
}

# Fills the array `cmdline` with the command line of component NAME.
build_command() {
  local name=$1 kubeconfig
  kubeconfig=$(kubeconfig_for "$name")
  case $name in
    etcd)
      cmdline=(
        "$FLYWHEEL_BIN/etcd"
        --name=flywheel
        --data-dir="$etcd_dir"
        --listen-client-urls="http://127.0.0.1:$FLYWHEEL_ETCD_PORT"
        --advertise-client-urls="http://127.0.0.1:$FLYWHEEL_ETCD_PORT"
        --listen-peer-urls="http://127.0.0.1:$FLYWHEEL_ETCD_PEER_PORT"
        --initial-advertise-peer-urls="http://127.0.0.1:$FLYWHEEL_ETCD_PEER_PORT"
        --initial-cluster="flywheel=http://127.0.0.1:$FLYWHEEL_ETCD_PEER_PORT"
        # The data is disposable, and skipping fsync keeps etcd from stalling the
        # apiserver on slow disks. A machine crash can corrupt the data. A killed
        # process cannot, because the page cache survives it.
        --unsafe-no-fsync
      )
      ;;
    kube-apiserver)
      # The comma in --authorization-mode separates authorizers, not array elements.
      # shellcheck disable=SC2054
      cmdline=(
        "$FLYWHEEL_BIN/kube-apiserver"
        --etcd-servers="http://127.0.0.1:$FLYWHEEL_ETCD_PORT"
        --bind-address=127.0.0.1
        --advertise-address=127.0.0.1
        --secure-port="$FLYWHEEL_APISERVER_PORT"
        --tls-cert-file="$pki_dir/apiserver.crt"
        --tls-private-key-file="$pki_dir/apiserver.key"
        --client-ca-file="$pki_dir/ca.crt"
        --authorization-mode=Node,RBAC
        --service-account-issuer=https://kubernetes.default.svc.cluster.local
        --service-account-key-file="$pki_dir/sa.pub"
        --service-account-signing-key-file="$pki_dir/sa.key"
        --service-cluster-ip-range="$service_cidr"
        # Privileged pods are allowed cluster-wide, as on EKS, so that Pod Security
        # Admission is what rejects them in namespaces that enforce a stricter level.
        --allow-privileged=true
        # The only endpoint would be 127.0.0.1, which Endpoints validation rejects,
        # and no pod here can reach the apiserver through the Service anyway.
        --endpoint-reconciler-type=none
        # By default SIGTERM waits up to --request-timeout (60s) for watches to
        # end. This mode caps the wait at 2s once ordinary requests have drained,
        # so stopping the apiserver for a fault test takes seconds. While it
        # drains, new requests get 429 with Retry-After instead of a refused
        # connection.
        --shutdown-send-retry-after=true
      )
      ;;
    kube-controller-manager)
      cmdline=(
        "$FLYWHEEL_BIN/kube-controller-manager"
        --kubeconfig="$kubeconfig"
        --authentication-kubeconfig="$kubeconfig"
        --authorization-kubeconfig="$kubeconfig"
        --bind-address=127.0.0.1
        --secure-port="$FLYWHEEL_CONTROLLER_MANAGER_PORT"
        --cluster-name=flywheel
        --controllers='*'
        --use-service-account-credentials=true
        --service-account-private-key-file="$pki_dir/sa.key"
        --root-ca-file="$pki_dir/ca.crt"
        --cluster-signing-cert-file="$pki_dir/ca.crt"
        --cluster-signing-key-file="$pki_dir/ca.key"
        --service-cluster-ip-range="$service_cidr"
        # A single instance needs no lock, and taking one would delay a restart by
        # the lease duration after a SIGKILL.
        --leader-elect=false
        # The defaults (20 requests/s, bursts of 30) made the controller manager,
        # not the API server, the bottleneck when hundreds of Deployments arrive at
        # once, so benchmarks measured its client limit. EKS does not publish the
        # values it uses.
        --kube-api-qps=200
        --kube-api-burst=400
      )
      ;;
    kube-scheduler)
      cmdline=(
        "$FLYWHEEL_BIN/kube-scheduler"
        --kubeconfig="$kubeconfig"
        --authentication-kubeconfig="$kubeconfig"
        --authorization-kubeconfig="$kubeconfig"
        --bind-address=127.0.0.1
        --secure-port="$FLYWHEEL_SCHEDULER_PORT"
        --leader-elect=false
      )
      ;;
    kwok)
      cmdline=(
        "$FLYWHEEL_BIN/kwok"
        --kubeconfig="$kubeconfig"
        --config="$kwok_dir/stages.yaml"
        --manage-all-nodes=false
        --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake
        # kwok renews a Lease per node, so the node lifecycle controller keeps
        # the nodes Ready, and the heartbeat-with-lease stage only refreshes the
        # node status about every ten minutes.
        --node-lease-duration-seconds=40
        --cidr="$pod_cidr"
        # Anything that dials a node, such as `kubectl logs`, stays on loopback.
        --node-ip=127.0.0.1
        # Serves /healthz, which the startup wait polls.
        --server-address="127.0.0.1:$FLYWHEEL_KWOK_PORT"
      )
      ;;
    *) die "unknown component '$name'; expected one of: ${components[*]}" ;;
  esac
}

# Succeeds when component NAME reports healthy on its health endpoint.
component_healthy() {
  case $1 in
    etcd)
      curl -fsS --max-time 2 "http://127.0.0.1:$FLYWHEEL_ETCD_PORT/health" 2>/dev/null | grep -q '"health":"true"'
      ;;
    kube-apiserver)
      curl -fsS --max-time 2 --cacert "$pki_dir/ca.crt" \
        --cert "$pki_dir/admin.crt" --key "$pki_dir/admin.key" \
        "https://127.0.0.1:$FLYWHEEL_APISERVER_PORT/readyz" >/dev/null 2>&1
      ;;
    # These two serve a self-signed certificate that they generate in memory. The
    # connection goes to their own loopback port, so skipping verification is safe.
    kube-controller-manager)
      curl -fsSk --max-time 2 "https://127.0.0.1:$FLYWHEEL_CONTROLLER_MANAGER_PORT/healthz" >/dev/null 2>&1
      ;;
    kube-scheduler)
      curl -fsSk --max-time 2 "https://127.0.0.1:$FLYWHEEL_SCHEDULER_PORT/healthz" >/dev/null 2>&1
      ;;
    kwok)
      curl -fsS --max-time 2 "http://127.0.0.1:$FLYWHEEL_KWOK_PORT/healthz" >/dev/null 2>&1
      ;;
  esac
}

# Prints the last lines of component NAME's log, for error messages.
log_tail() {
  local file
  file=$(log_file "$1")
  [[ -f "$file" ]] && tail -n 15 "$file" | sed 's/^/    /' >&2
  return 0
}

# Starts component NAME in its own session, so that Ctrl-C in the calling
# terminal does not stop it, and waits until it reports healthy.
start_component() {
  local name=$1 cmdline pid file started=$SECONDS
  build_command "$name"
  [[ -x "${cmdline[0]}" ]] ||
    die "${cmdline[0]} not found or not executable; run hack/build-control-plane.sh, then retry"

  if pid=$(component_pid "$name"); then
    die "$name is already running (pid $pid); stop it with hack/component.sh stop $name"
  fi
  free_component_ports "$name"

  mkdir -p "$log_dir" "$pid_dir"
  file=$(log_file "$name")
  # Keep one earlier log, because a restart after a crash would otherwise overwrite
  # the only record of that crash.
  [[ -f "$file" ]] && mv -f "$file" "${file%.log}.previous.log"

  log "starting $name"
  # Descriptor 9 is closed so that the component does not keep holding the lock.
  setsid "${cmdline[@]}" >"$file" 2>&1 </dev/null 9>&- &
  pid=$!
  printf '%s\n' "$pid" >"$(pid_file "$name")"

  until component_healthy "$name"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "$name exited during startup; last lines of $file:"
      log_tail "$name"
      rm -f "$(pid_file "$name")"
      die "$name failed to start; see $file"
    fi
    if ((SECONDS - started >= wait_timeout)); then
      log "$name not healthy after ${wait_timeout}s; last lines of $file:"
      log_tail "$name"
      die "timed out waiting for $name; see $file, or raise FLYWHEEL_WAIT_TIMEOUT (seconds)"
    fi
    sleep 0.2
  done
  log "$name is healthy (pid $pid, $((SECONDS - started))s)"
}

kubectl_admin() {
  kubectl --kubeconfig "$admin_kubeconfig" "$@"
}

# Prints the directory of Go module MODULE@VERSION, downloading it through the Go
# module proxy when it is not in the module cache yet.
go_module_dir() {
  local dir
  dir=$(cd / && GOWORK=off GOFLAGS=-mod=mod go mod download -json "$1" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p') ||
    die "go mod download $1 failed; check that go is on PATH and the Go module proxy is reachable"
  [[ -n "$dir" && -d "$dir" ]] || die "go mod download $1 printed no module directory"
  printf '%s\n' "$dir"
}

# Applies Istio's CRDs from FILE and waits until the apiserver serves them.
install_istio_crds() {
  local file=$1
  [[ -f "$file" ]] || die "Istio CRD file $file not found; rerun hack/build-control-plane.sh"
  log "installing Istio CRDs from $file"
  local output
  # On success the output is only the apiserver's warnings about schema formats
  # it does not validate, such as "binary", so it is shown only on failure.
  output=$(kubectl_admin apply --server-side --force-conflicts -f "$file" 2>&1) ||
    die "kubectl apply of $file failed: $output"
  kubectl_admin wait --for=condition=Established --timeout="${wait_timeout}s" -f "$file" >/dev/null ||
    die "Istio CRDs not Established after ${wait_timeout}s; see $(log_file kube-apiserver)"
}
