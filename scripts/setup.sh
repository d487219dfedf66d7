#!/usr/bin/env bash
# Installs everything the agent and its tests need on a fresh Debian machine, idempotently:
# Debian packages (BPF toolchain, inotify-tools), npm packages (pinned by the lockfile, including Node 24),
# and the BPF loader build. Safe to re-run; quiet when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for p in clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev inotify-tools make gcc; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing Debian packages: ${need[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "setup: missing Debian packages: ${need[*]} (run as root, or install them)" >&2
  fi
fi

if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi

bash bpf/build.sh || echo "setup: the BPF loader did not build; exec capture will be unavailable (see above)" >&2
