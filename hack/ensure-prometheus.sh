#!/usr/bin/env bash
# Installs Prometheus from the Debian package when `prometheus` is not on PATH, and
# prints the path of the binary. The canary end-to-end tests start their own server
# from it on 127.0.0.1 with a temporary config and storage directory.
#
# The package ships a service unit that would start a second server on :9090. This
# script keeps the package's maintainer scripts from starting it (policy-rc.d exit 101,
# the Debian convention for "do not start services"), so only the tests' servers run.
# Needs root, as apt-get does.
set -euo pipefail

if command -v prometheus >/dev/null; then
  command -v prometheus
  exit 0
fi

if ! command -v apt-get >/dev/null; then
  echo "[ensure-prometheus] prometheus not found and apt-get is missing: install Prometheus 2.x and put it on PATH" >&2
  exit 1
fi

policy=/usr/sbin/policy-rc.d
added_policy=false
if [[ ! -e "$policy" ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
  added_policy=true
fi
remove_policy() {
  if [[ "$added_policy" == true ]]; then rm -f "$policy"; fi
}
trap remove_policy EXIT

echo "[ensure-prometheus] installing the Debian package prometheus" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update >&2
apt-get install -y --no-install-recommends prometheus >&2

command -v prometheus
