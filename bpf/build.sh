#!/usr/bin/env bash
# Builds bpf/build/jcw-exec. Installs missing Debian build packages when run as
# root with apt-get; otherwise names the missing tool and fails. Incremental (make).
set -euo pipefail
cd "$(dirname "$0")"

# tool -> Debian package
declare -A PKG=([clang]=clang [llvm-strip]=llvm [bpftool]=bpftool [gcc]=gcc [make]=make)
missing=()
for t in "${!PKG[@]}"; do
	command -v "$t" >/dev/null 2>&1 || [ -x "/usr/sbin/$t" ] || missing+=("$t")
done
hdr_missing=()
[ -f /usr/include/bpf/libbpf.h ] || hdr_missing+=(libbpf-dev)
[ -f /usr/include/libelf.h ] || [ -f /usr/include/elfutils/libelf.h ] || hdr_missing+=(libelf-dev)
[ -f /usr/include/zlib.h ] || hdr_missing+=(zlib1g-dev)

if [ ${#missing[@]} -gt 0 ] || [ ${#hdr_missing[@]} -gt 0 ]; then
	pkgs=("${hdr_missing[@]}")
	for t in "${missing[@]}"; do pkgs+=("${PKG[$t]}"); done
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "build.sh: installing ${pkgs[*]}" >&2
		export DEBIAN_FRONTEND=noninteractive
		# update only when the package lists are absent or the install fails on them
		apt-get install -y -qq "${pkgs[@]}" >/dev/null 2>&1 ||
			{ apt-get update -qq >/dev/null && apt-get install -y -qq "${pkgs[@]}" >/dev/null; }
	else
		echo "build.sh: missing ${missing[*]} ${hdr_missing[*]} (Debian packages: ${pkgs[*]}); run as root with apt-get or install them" >&2
		exit 1
	fi
fi
if [ ! -r /sys/kernel/btf/vmlinux ] && [ ! -f build/vmlinux.h ]; then
	echo "build.sh: /sys/kernel/btf/vmlinux missing: put a vmlinux.h for this arch in bpf/build/" >&2
	exit 1
fi
exec make -s --no-print-directory "$@"
