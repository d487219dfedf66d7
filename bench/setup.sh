#!/bin/sh
# Installs what the benchmark's baselines need: inotifywait (Debian package inotify-tools). Run as root.
set -e
if command -v inotifywait >/dev/null 2>&1; then
  echo "inotifywait present: $(inotifywait --help 2>&1 | head -1)"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "inotifywait missing; run this script as root (apt-get install inotify-tools)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends inotify-tools
inotifywait --help 2>&1 | head -1
