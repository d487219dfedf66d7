#!/usr/bin/env bash
# Installs the chart test tools and prints the directory holding them on stdout (its last line; everything
# else goes to stderr):
#   helm       helm.sh/helm/v3/cmd/helm@$HELM_VERSION, from the Go module proxy (go install)
#   kubecheck  deploy/helm/kubecheck: strict offline validation of manifests against the Kubernetes API types
#              (k8s.io/api) and prometheus-operator's monitoring/v1 types
# Cached under ${JCW_CACHE:-$HOME/.cache/jcode-watcher}/helm-tools-<key>, keyed by the helm version, the Go
# version and kubecheck's sources; a missing or partial cache only means a rebuild. The first run downloads
# and compiles the modules (a few minutes on 2 cores).
#
# Env: JCW_CACHE (cache root), GO (go command, default `go`).
set -euo pipefail

HELM_VERSION=v3.22.0
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SRC="$ROOT/deploy/helm/kubecheck"
CACHE="${JCW_CACHE:-$HOME/.cache/jcode-watcher}"
GO="${GO:-go}"

log() { printf 'install-helm-tools: %s\n' "$*" >&2; }

command -v "$GO" >/dev/null || { log "go not found (need Go >= 1.25)"; exit 1; }
go_version=$("$GO" env GOVERSION) || { log "\"$GO env GOVERSION\" failed"; exit 1; }
key=$( { printf '%s\n%s\n' "$HELM_VERSION" "$go_version"; cat "$SRC/go.mod" "$SRC/go.sum" "$SRC/main.go"; } | sha256sum | cut -c1-16)
dir="$CACHE/helm-tools-$key"

ok() { [[ -x "$dir/helm" && -x "$dir/kubecheck" ]] && "$dir/helm" version --short >/dev/null 2>&1; }

if ok; then
  log "cached: $dir"
  printf '%s\n' "$dir"
  exit 0
fi

mkdir -p "$CACHE"
exec 9>"$CACHE/helm-tools-$key.lock"
flock 9
if ok; then printf '%s\n' "$dir"; exit 0; fi

start=$(date +%s)
work=$(mktemp -d "$CACHE/helm-tools-$key.work.XXXXXX")
trap 'rm -rf "$work"' EXIT
log "go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
GOBIN="$work" "$GO" install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >&2
log "building kubecheck"
(cd "$SRC" && "$GO" build -o "$work/kubecheck" .) >&2
"$work/helm" version --short >&2
rm -rf "$dir"
mv "$work" "$dir"
trap - EXIT
log "installed in $(( $(date +%s) - start )) s: $dir"
printf '%s\n' "$dir"
