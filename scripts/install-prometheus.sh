#!/usr/bin/env bash
# Installs Prometheus (server and promtool) from the Debian `prometheus` package when either is missing.
# Prints the directory holding both binaries on stdout. Needs root (or sudo) for apt-get.
set -euo pipefail
log() { printf 'install-prometheus: %s\n' "$*" >&2; }

have() { command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; }

if ! have; then
  SUDO=
  if [[ $(id -u) != 0 ]]; then
    command -v sudo >/dev/null || { log "not root and no sudo: install the Debian package 'prometheus' by hand"; exit 1; }
    SUDO=sudo
  fi
  log "apt-get install prometheus"
  export DEBIAN_FRONTEND=noninteractive
  # --no-install-recommends: the server and promtool only, no node exporter or web assets.
  $SUDO apt-get install -y --no-install-recommends prometheus >&2 || {
    $SUDO apt-get update >&2
    $SUDO apt-get install -y --no-install-recommends prometheus >&2
  }
  # The package starts a system service on :9090 where an init system runs; tests start their own server.
  if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
    $SUDO systemctl disable --now prometheus >&2 || true
  fi
fi
have || { log "prometheus/promtool still missing"; exit 1; }
log "$(prometheus --version 2>&1 | head -1)"
dirname "$(command -v prometheus)"
