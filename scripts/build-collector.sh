#!/usr/bin/env bash
# Builds the JCode Watcher Collector distribution (otelcol-jcw) with the OpenTelemetry Collector Builder and
# prints the binary's path on stdout (everything else goes to stderr).
#
# The result is cached outside the clone, keyed by the builder version, the Go version and the manifest's hash:
#   ${JCW_CACHE:-$HOME/.cache/jcode-watcher}/otelcol-<key>/otelcol-jcw
# A missing or partial cache only means a rebuild. Go keeps its own module and build caches at their default
# locations (GOMODCACHE, GOCACHE), so a rebuild after a manifest change reuses downloaded modules.
#
# Env: JCW_CACHE (cache root), JCW_REBUILD=1 (ignore the cached binary), GO (go command, default `go`).
set -euo pipefail

OCB_VERSION=v0.159.0
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MANIFEST="$ROOT/deploy/collector/builder-config.yaml"
CACHE="${JCW_CACHE:-$HOME/.cache/jcode-watcher}"
GO="${GO:-go}"

log() { printf 'build-collector: %s\n' "$*" >&2; }

command -v "$GO" >/dev/null || { log "go not found (need Go >= 1.25)"; exit 1; }
[[ -f "$MANIFEST" ]] || { log "missing $MANIFEST"; exit 1; }

go_version=$("$GO" env GOVERSION) || { log "\"$GO env GOVERSION\" failed: is Go >= 1.25 installed?"; exit 1; }
key=$( { printf '%s\n%s\n' "$OCB_VERSION" "$go_version"; cat "$MANIFEST"; } | sha256sum | cut -c1-16)
dir="$CACHE/otelcol-$key"
bin="$dir/otelcol-jcw"

if [[ -x "$bin" && "${JCW_REBUILD:-0}" != 1 ]] && "$bin" --version >/dev/null 2>&1; then
  log "cached: $bin"
  printf '%s\n' "$bin"
  exit 0
fi

mkdir -p "$CACHE"
# One build at a time per key (parallel CI jobs or test files).
exec 9>"$CACHE/otelcol-$key.lock"
flock 9
if [[ -x "$bin" && "${JCW_REBUILD:-0}" != 1 ]] && "$bin" --version >/dev/null 2>&1; then
  printf '%s\n' "$bin"
  exit 0
fi

start=$(date +%s)
tools="$CACHE/tools/builder-$OCB_VERSION"
if [[ ! -x "$tools/builder" ]]; then
  log "installing go.opentelemetry.io/collector/cmd/builder@$OCB_VERSION"
  mkdir -p "$tools"
  GOBIN="$tools" "$GO" install "go.opentelemetry.io/collector/cmd/builder@$OCB_VERSION" >&2
fi

work=$(mktemp -d "$CACHE/otelcol-$key.work.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Same manifest, output into the work directory.
sed -E "s|^([[:space:]]*output_path:).*|\1 $work/src|" "$MANIFEST" >"$work/manifest.yaml"
grep -q "output_path: $work/src" "$work/manifest.yaml" || { log "manifest has no dist.output_path line"; exit 1; }

log "building otelcol-jcw (builder $OCB_VERSION, $go_version); the first build downloads ~1 GB of modules"
(cd "$work" && "$tools/builder" --config="$work/manifest.yaml") >&2

"$work/src/otelcol-jcw" --version >&2
rm -rf "$dir"
mkdir -p "$dir"
cp "$MANIFEST" "$dir/builder-config.yaml"
mv "$work/src/otelcol-jcw" "$bin.tmp"
mv "$bin.tmp" "$bin"
log "built in $(( $(date +%s) - start )) s: $bin"
printf '%s\n' "$bin"
