#!/usr/bin/env bash
# Real-kernel test of bpf/build/jcw-exec (root only): builds, runs real programs
# under the loader, then checks the NDJSON with check.py. Last line: "N passed, N failed".
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BPF=$(dirname "$HERE")
OUT="$BPF/build"
LOADER="$OUT/jcw-exec"
H="$OUT/test-helper"
# Not the pyenv shim: its exec chain would pollute the capture.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)

PASS=0 FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok   $1"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL $1${2:+: $2}"; }
finish() { echo "$PASS passed, $FAIL failed"; [ "$FAIL" = 0 ]; exit $?; }

if [ "$(id -u)" != 0 ]; then bad root "must run as root (loads BPF programs)"; finish; fi
if ! bash "$BPF/build.sh" >&2; then bad build "bpf/build.sh failed"; finish; fi
ok build
if ! gcc -O1 -pthread -o "$H" "$HERE/helper.c"; then bad helper "gcc failed"; finish; fi

WORK=$(mktemp -d /tmp/jcw-test.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	[ -n "${CG:-}" ] && rmdir "$CG" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

# start_loader NAME ARGS... -> sets LPID; waits for the hello line.
start_loader() {
	local name=$1; shift
	"$LOADER" "$@" >"$WORK/$name.ndjson" 2>"$WORK/$name.err" &
	LPID=$!
	PIDS+=("$LPID")
	for _ in $(seq 100); do
		grep -q '"type":"hello"' "$WORK/$name.ndjson" 2>/dev/null && return 0
		kill -0 "$LPID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$WORK/$name.err" >&2
	return 1
}
stop_loader() { kill -TERM "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

RUN="jcw$$x$RANDOM"
export RUN WORK

# A cgroup to filter on: v2 if mounted at /sys/fs/cgroup, else the v1 memory controller.
CG=""
if [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
	CG=/sys/fs/cgroup/jcw-test-$$
elif [ -d /sys/fs/cgroup/memory ]; then
	CG=/sys/fs/cgroup/memory/jcw-test-$$
fi
[ -n "$CG" ] && mkdir "$CG" 2>/dev/null || CG=""
CGID=$([ -n "$CG" ] && stat -c %i "$CG" || echo 0)
export CGID

# ---- main capture ----
start_loader main --stats-ms 1000 || { bad loader-start "main loader did not say hello"; finish; }
MAIN=$LPID
start_loader host --hostname-prefix jcode-os- --stats-ms 1000 || bad loader-start "hostname-filter loader"
HOSTL=$LPID
CGL=""
if [ -n "$CG" ]; then
	start_loader cg --cgroup-id "$CGID" --stats-ms 1000 || bad loader-start "cgroup-filter loader"
	CGL=$LPID
fi

mkdir -p "$WORK/deep/dir"
(cd "$WORK/deep/dir" && /bin/echo "$RUN-argc1000" $(seq 1 999) >/dev/null)
BIG=$(head -c 102400 /dev/zero | tr '\0' x)
/bin/true "$RUN-big" "$BIG"
/bin/echo "$RUN-bytes" $'\xff\xfe' $'caf\xc3\xa9' $'tab\there' "quote\"back\\slash" >/dev/null
"$H" thread-exec /bin/echo "$RUN-threadexec" >/dev/null
"$H" thread-exit 7 "$RUN-threadexit"
/bin/sh -c 'ulimit -c 0; "$0" segv "$1"; true' "$H" "$RUN-segv" 2>/dev/null
/bin/sleep 30 & KPID=$!
sleep 0.2; kill -9 "$KPID"; wait "$KPID" 2>/dev/null
/bin/sh -c 'exit 3' "$RUN-exit3"
unshare -u /bin/sh -c 'hostname jcode-os-1-202012180-abc; exec /bin/echo "$0"' "$RUN-uts" >/dev/null
(cd "$WORK" && ./a.out) 2>/dev/null
[ -n "$CG" ] && /bin/sh -c 'echo $$ > "$1/cgroup.procs" && exec /bin/echo "$0"' "$RUN-cg" "$CG" >/dev/null
sleep 0.5 # > drain interval

for p in $MAIN $HOSTL $CGL; do kill -0 "$p" 2>/dev/null || bad loader-alive "loader $p died"; done
stop_loader "$MAIN"; stop_loader "$HOSTL"; [ -n "$CGL" ] && stop_loader "$CGL"
export HELPER="$H" MAIN KPID SCRIPT_PID=$$ ECHO_INO=$(stat -L -c %i /bin/echo) ECHO_DEV=$(stat -L -c %d /bin/echo)

# ---- storm: 5 s of fork+exec in 2 workers, default ring ----
BPFSTATS=$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null || echo 0)
echo 1 >/proc/sys/kernel/bpf_stats_enabled 2>/dev/null
start_loader storm --stats-ms 1000 || bad loader-start "storm loader"
STORM=$LPID
STORM_N=$("$H" storm 5 2)
sleep 0.3
if kill -0 "$STORM" 2>/dev/null; then ok storm-loader-survives; else bad storm-loader-survives; fi
bpftool prog show -j >"$WORK/progs.json" 2>/dev/null
echo "$BPFSTATS" >/proc/sys/kernel/bpf_stats_enabled 2>/dev/null
stop_loader "$STORM"

# ---- loss: tiny ring, stopped consumer ----
start_loader loss --ringbuf-bytes 65536 --stats-ms 500 || bad loader-start "loss loader"
LOSS=$LPID
kill -STOP "$LOSS"
LOSS_N=$("$H" storm 1 1)
kill -CONT "$LOSS"
sleep 0.5
stop_loader "$LOSS"
export STORM STORM_N LOSS_N

# ---- loading without privileges fails with exit 2 and a clear message ----
if command -v setpriv >/dev/null; then
	setpriv --reuid 65534 --regid 65534 --clear-groups --inh-caps=-all --bounding-set=-all \
		"$LOADER" >"$WORK/noperm.ndjson" 2>"$WORK/noperm.err"
	rc=$?
	if [ "$rc" = 2 ] && grep -q 'CAP_BPF' "$WORK/noperm.err" && grep -q '"type":"error"' "$WORK/noperm.ndjson"; then
		ok unprivileged-exit-2
	else
		bad unprivileged-exit-2 "rc=$rc $(head -c 300 "$WORK/noperm.err")"
	fi
fi

# ---- assertions on the captured NDJSON ----
while IFS= read -r line; do
	case "$line" in
	"ok "*) ok "${line#ok }" ;;
	"FAIL "*) rest=${line#FAIL }; bad "${rest%%: *}" "${rest#*: }" ;;
	*) echo "$line" ;;
	esac
done < <("$PY" "$HERE/check.py" "$WORK" 2>&1 || echo "FAIL check.py: exited non-zero")
[ -n "${KEEP:-}" ] && echo "outputs kept in $WORK"
finish
