#!/usr/bin/env bash
# Builds Jaeger v2 (all-in-one `jaeger` binary) for the end-to-end tests and prints its path on stdout.
#
# The module github.com/jaegertracing/jaeger has no /v2 path and v2.14+ have no v1 twin, so `@v2.20.0` does not
# resolve. The v2.20.0 release commit (798e4b0fcf22) would be the choice, but the Go module proxy this project
# builds through answers 403 "This module version is not available" for commit queries (checked: it serves
# tagged versions only, up to v1.76.0). v1.76.0 is the same release as Jaeger v2.13.0 and its cmd/jaeger is the
# v2 (OpenTelemetry Collector based) binary. Override with JAEGER_REF=<commit> where the proxy serves commits.
# Without UI assets the query service serves a placeholder page; the HTTP/JSON API works. v2.13 has
# /api/v3/traces with the snake_case query names (query.service_name, query.start_time_min/max), which later
# versions keep as aliases.
#
# Cached like the Collector: ${JCW_CACHE:-$HOME/.cache/jcode-watcher}/jaeger-<key>/jaeger, keyed by the pinned
# ref and the Go version. JCW_REBUILD=1 rebuilds. Go's module and build caches stay at their defaults.
set -euo pipefail

JAEGER_REF="${JAEGER_REF:-v1.76.0}"   # module version v1.76.0 = Jaeger v2.13.0
CACHE="${JCW_CACHE:-$HOME/.cache/jcode-watcher}"
GO="${GO:-go}"

log() { printf 'build-jaeger: %s\n' "$*" >&2; }
command -v "$GO" >/dev/null || { log "go not found"; exit 1; }

go_version=$("$GO" env GOVERSION) || { log "\"$GO env GOVERSION\" failed: is Go >= 1.25 installed?"; exit 1; }
key=$(printf '%s\n%s\n' "$JAEGER_REF" "$go_version" | sha256sum | cut -c1-16)
dir="$CACHE/jaeger-$key"
bin="$dir/jaeger"

if [[ -x "$bin" && "${JCW_REBUILD:-0}" != 1 ]]; then
  log "cached: $bin"
  printf '%s\n' "$bin"
  exit 0
fi

mkdir -p "$CACHE"
exec 9>"$CACHE/jaeger-$key.lock"
flock 9
if [[ -x "$bin" && "${JCW_REBUILD:-0}" != 1 ]]; then printf '%s\n' "$bin"; exit 0; fi

start=$(date +%s)
work=$(mktemp -d "$CACHE/jaeger-$key.work.XXXXXX")
trap 'rm -rf "$work"' EXIT
log "building github.com/jaegertracing/jaeger/cmd/jaeger@$JAEGER_REF ($go_version)"
# `go install <pkg>@<version>` refuses this module (its go.mod has a replace directive), so build it as the main
# module: download the module through the proxy, copy its source out of the read-only module cache, go build.
src=$("$GO" mod download -json "github.com/jaegertracing/jaeger@$JAEGER_REF" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[[ -n "$src" && -f "$src/go.mod" ]] || { log "could not download github.com/jaegertracing/jaeger@$JAEGER_REF"; exit 1; }
cp -r "$src" "$work/jaeger-src"
chmod -R u+w "$work/jaeger-src"
# CGO off like the release builds.
(cd "$work/jaeger-src" && CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local "$GO" build -trimpath -ldflags='-s -w' -o "$work/jaeger" ./cmd/jaeger) >&2
"$work/jaeger" version >&2 || true
rm -rf "$dir"
mkdir -p "$dir"
mv "$work/jaeger" "$bin.tmp"
mv "$bin.tmp" "$bin"
log "built in $(( $(date +%s) - start )) s: $bin"
printf '%s\n' "$bin"
