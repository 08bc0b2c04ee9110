#!/usr/bin/env bash
# Installs the pinned Node.js from the npm registry's `node` package when the node on
# PATH is older than the project needs, and prints the directory to put first on PATH.
# The system Node on the development machines is 20, and @kubernetes/client-node 2.x
# needs 22.19 or newer.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=hack/versions.sh
source "$here/versions.sh"

cache_root=${FLYWHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flywheel}
prefix="$cache_root/node-$NODE_VERSION"
bin="$prefix/node_modules/.bin"

if [[ -x "$bin/node" ]] && [[ "$("$bin/node" --version)" == "v$NODE_VERSION" ]]; then
  echo "$bin"
  exit 0
fi

printf '[ensure-node] installing Node.js %s into %s\n' "$NODE_VERSION" "$prefix" >&2
mkdir -p "$prefix"
npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$prefix" "node@$NODE_VERSION" >&2
"$bin/node" --version >/dev/null
echo "$bin"
