#!/usr/bin/env bash
# Creates the Python venv the Jupyter tests use (real IPython, ipykernel, nbclient; exact pins from
# integrations/jupyter/test-requirements.txt) with the jcode_jupyter extension pip-installed into it, as a course
# image would, and prints the venv's python on stdout (everything else goes to stderr).
#
# Cached outside the clone, keyed by the Python version and the requirements' hash:
#   ${JCW_CACHE:-$HOME/.cache/jcode-watcher}/jupyter-venv-<key>/
# The extension is reinstalled whenever its sources change. Env: JCW_CACHE, PYTHON (default python3).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
EXT="$ROOT/integrations/jupyter"
REQS="$EXT/test-requirements.txt"
CACHE="${JCW_CACHE:-$HOME/.cache/jcode-watcher}"
PYTHON="${PYTHON:-python3}"

log() { printf 'jupyter-venv: %s\n' "$*" >&2; }

command -v "$PYTHON" >/dev/null || { log "$PYTHON not found (need Python >= 3.11)"; exit 1; }
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { log "need Python >= 3.11 (IPython 9), have $("$PYTHON" --version)"; exit 1; }
py_version=$("$PYTHON" -c 'import sys; print(sys.version)')
key=$( { printf '%s\n' "$py_version"; cat "$REQS"; } | sha256sum | cut -c1-16)
venv="$CACHE/jupyter-venv-$key"
py="$venv/bin/python"
ext_hash=$(cd "$EXT" && find pyproject.toml jcode_jupyter -name '*.py' -o -name '*.toml' | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)

ready() { [[ -x "$py" && -f "$venv/.deps-ok" && "$(cat "$venv/.ext-hash" 2>/dev/null)" == "$ext_hash" ]]; }
if ready; then printf '%s\n' "$py"; exit 0; fi

mkdir -p "$CACHE"
# One install at a time per key (test files run in parallel).
exec 9>"$CACHE/jupyter-venv-$key.lock"
flock 9
if ready; then printf '%s\n' "$py"; exit 0; fi

if [[ ! -f "$venv/.deps-ok" ]]; then
  rm -rf "$venv"
  log "creating $venv (pinned IPython, ipykernel, nbclient; about 20 s)"
  "$PYTHON" -m venv "$venv" >&2 || { log "python -m venv failed (on Debian: apt-get install python3-venv)"; exit 1; }
  "$py" -m pip install -q --disable-pip-version-check --no-input -r "$REQS" >&2
  touch "$venv/.deps-ok"
fi
# The extension as a course image installs it: a regular (non-editable) pip install of the package directory.
log "installing jcode_jupyter from $EXT"
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
cp -r "$EXT/pyproject.toml" "$EXT/jcode_jupyter" "$build/"
[[ -f "$EXT/README.md" ]] && cp "$EXT/README.md" "$build/"
"$py" -m pip install -q --disable-pip-version-check --no-input --no-deps --no-build-isolation --force-reinstall "$build" >&2
printf '%s\n' "$ext_hash" >"$venv/.ext-hash"
printf '%s\n' "$py"
