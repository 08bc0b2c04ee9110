#!/usr/bin/env bash
# Installs the pinned moto with its server extra into a virtualenv under the cache
# directory, and prints the virtualenv's bin directory, which contains `moto_server`.
# The EKS tests start moto_server from there to stand in for the EKS and STS APIs.
# Running it again with the same pin does nothing but print the directory.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=hack/versions.sh
source "$here/versions.sh"

cache_root=${FLYWHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flywheel}
venv="$cache_root/moto-venv"
bin="$venv/bin"

installed_version() {
  "$bin/python" -c 'import importlib.metadata as m; print(m.version("moto"))' 2>/dev/null || true
}

exit_if_installed() {
  if [[ -x "$bin/moto_server" ]] && [[ "$(installed_version)" == "$MOTO_VERSION" ]]; then
    echo "$bin"
    exit 0
  fi
}

exit_if_installed

python=${PYTHON:-python3}
if ! command -v "$python" >/dev/null; then
  echo "[ensure-moto] $python not found: install Python 3.10 or newer, or set PYTHON to its path" >&2
  exit 1
fi
# moto 5.2 declares Requires-Python >= 3.10.
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
  echo "[ensure-moto] $python is $("$python" --version 2>&1), but moto $MOTO_VERSION needs Python 3.10 or newer: set PYTHON to a newer interpreter" >&2
  exit 1
fi

mkdir -p "$cache_root"
# Test files start in parallel and each runs this script, so installs take turns.
exec 9>"$cache_root/moto-venv.lock"
flock 9
exit_if_installed

printf '[ensure-moto] installing moto[server] %s into %s\n' "$MOTO_VERSION" "$venv" >&2
"$python" -m venv "$venv" >&2
"$bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2
"$bin/moto_server" --help >/dev/null
echo "$bin"
