// SPDX-License-Identifier: Apache-2.0
/* jcw-exec: loads jcw_exec.bpf.c, drains its ring buffer and prints NDJSON on
 * stdout (schema in README.md). Logs go to stderr. Exit 2 = could not load. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "jcw_exec.h"
#include "jcw_exec.skel.h"

#define LOADER_VERSION "0.1.0"
#define MAX_SELF_PIDS 64
#define MAX_CGROUP_IDS 1024
#define EXIT_LOAD 2

static const char *type_names[JCW_NTYPES] = {"", "exec", "exec_failed", "exit", "fork", "output", "output_end"};

static struct {
	__u32 self_pids[MAX_SELF_PIDS];
	int n_self_pids;
	bool skip_descendants;
	const char *host_prefixes[JCW_HOST_PREFIXES];
	int n_host_prefixes;
	__u64 cgroup_ids[MAX_CGROUP_IDS];
	int n_cgroup_ids;
	__u64 ringbuf_bytes;
	int drain_ms;
	int stats_ms;
	bool verbose;
	bool no_failed_exec;
	__u32 capture_bytes[2]; /* [0] stdout, [1] stderr */
	char capture_names[JCW_CAPTURE_NAMES][JCW_CAPTURE_NAME_LEN];
	int n_capture_names;
} opt = {.ringbuf_bytes = 8 << 20, .drain_ms = 100, .stats_ms = 5000};

static volatile sig_atomic_t exiting;
static __s64 boot_offset_ns; /* CLOCK_REALTIME - CLOCK_BOOTTIME */
static __u64 delivered[JCW_NTYPES];
static char last_libbpf_msg[512];
static int ncpus;

/* ---------- output ---------- */

static void out_str(const char *s, size_t n)
{
	/* Bytes < 0x20 and >= 0x7f become \u00XX so the consumer can restore the raw
	 * bytes (latin1) and non-UTF-8 argv survives JSON. */
	static const char hex[] = "0123456789abcdef";
	putchar_unlocked('"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		if (c == '"' || c == '\\') {
			putchar_unlocked('\\');
			putchar_unlocked(c);
		} else if (c < 0x20 || c >= 0x7f) {
			fputs_unlocked("\\u00", stdout);
			putchar_unlocked(hex[c >> 4]);
			putchar_unlocked(hex[c & 15]);
		} else {
			putchar_unlocked(c);
		}
	}
	putchar_unlocked('"');
}

static void out_cstr(const char *s, size_t max) { out_str(s, strnlen(s, max)); }

static void out_key(const char *k) { printf(",\"%s\":", k); }

static void out_u64s(const char *k, __u64 v) { printf(",\"%s\":\"%llu\"", k, (unsigned long long)v); }

static void out_time(__u64 boot_ns)
{
	out_u64s("ts_boot_ns", boot_ns);
	out_u64s("time_unix_nano", (__u64)((__s64)boot_ns + boot_offset_ns));
}

static void out_error(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "jcw-exec: %s\n", msg);
	fputs("{\"v\":1,\"type\":\"error\",\"message\":", stdout);
	out_cstr(msg, sizeof(msg));
	fputs("}\n", stdout);
	fflush(stdout);
}

/* A path stored as NUL-terminated components, leaf first: print root first. */
static void out_rev_path(const char *p, __u32 len)
{
	const char *parts[JCW_WALK_DEPTH + 1];
	int n = 0;
	for (__u32 i = 0; i < len && n <= JCW_WALK_DEPTH;) {
		parts[n++] = p + i;
		i += strnlen(p + i, len - i) + 1;
	}
	char buf[JCW_CWD_MAX + JCW_WALK_DEPTH + 2];
	size_t o = 0;
	if (n == 0)
		buf[o++] = '/';
	for (int k = n - 1; k >= 0; k--) {
		size_t l = strnlen(parts[k], p + len - parts[k]);
		if (o + l + 1 >= sizeof(buf))
			break;
		buf[o++] = '/';
		memcpy(buf + o, parts[k], l);
		o += l;
	}
	out_str(buf, o);
}

static void out_argv(const char *p, __u32 len)
{
	putchar_unlocked('[');
	__u32 start = 0;
	bool first = true;
	for (__u32 i = 0; i < len; i++) {
		if (p[i])
			continue;
		if (!first)
			putchar_unlocked(',');
		out_str(p + start, i - start);
		first = false;
		start = i + 1;
	}
	if (start < len) { /* truncated last argument */
		if (!first)
			putchar_unlocked(',');
		out_str(p + start, len - start);
	}
	putchar_unlocked(']');
}

/* Kernel s_dev (major << 20 | minor) -> st_dev as glibc makedev() encodes it. */
static __u64 stat_dev(__u32 kdev)
{
	__u64 major = kdev >> 20, minor = kdev & 0xfffff;
	return (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xffULL) << 12) |
	       ((major & ~0xfffULL) << 32);
}

static void handle_exec(const struct jcw_exec_event *e, size_t size)
{
	__u32 secs[7] = {e->argv_len, e->filename_len, e->interp_len, e->exe_name_len,
			 e->cwd_len, e->cgroup_path_len, e->memcg_path_len};
	const char *sec[7];
	__u32 off = 0;
	for (int i = 0; i < 7; i++) {
		sec[i] = e->data + off;
		off += secs[i];
	}
	if (JCW_HDR_SZ + off > size) {
		fprintf(stderr, "jcw-exec: short exec record (%zu < %zu)\n", size,
			(size_t)(JCW_HDR_SZ + off));
		return;
	}
	bool failed = e->type == JCW_EXEC_FAILED;
	printf("{\"v\":1,\"type\":\"%s\"", failed ? "exec_failed" : "exec");
	out_time(e->ts_boot);
	printf(",\"pid\":%u,\"tgid\":%u,\"old_pid\":%u,\"ppid\":%u,\"vpid\":%u"
	       ",\"uid\":%u,\"gid\":%u,\"euid\":%u",
	       e->pid, e->tgid, e->old_pid, e->ppid, e->vpid, e->uid, e->gid, e->euid);
	out_key("comm");
	out_cstr(e->comm, sizeof(e->comm));
	out_key("filename");
	out_str(sec[1], secs[1] ? secs[1] - 1 : 0);
	if (failed) {
		int err = -e->ret;
		const char *name = strerrorname_np(err);
		printf(",\"errno\":%d", err);
		out_key("errno_name");
		out_cstr(name ? name : "", 64);
	} else {
		out_key("interp");
		out_str(sec[2], secs[2] ? secs[2] - 1 : 0);
		out_key("exe_name");
		out_str(sec[3], secs[3] ? secs[3] - 1 : 0);
		out_u64s("ino", e->ino);
		printf(",\"dev\":%llu,\"dev_major\":%u,\"dev_minor\":%u",
		       (unsigned long long)stat_dev(e->dev), e->dev >> 20, e->dev & 0xfffff);
	}
	out_key("argv");
	out_argv(sec[0], secs[0]);
	printf(",\"argc\":%u,\"args_size\":%u,\"argv_truncated\":%s", e->argc, e->args_size,
	       e->flags & (JCW_F_ARGV_TRUNC | JCW_F_ARGV_FAULT) ? "true" : "false");
	out_key("cwd");
	out_rev_path(sec[4], secs[4]);
	printf(",\"cwd_truncated\":%s", e->flags & JCW_F_CWD_TRUNC ? "true" : "false");
	out_u64s("cgroup_id", e->cgroup_id);
	out_key("cgroup_path");
	out_rev_path(sec[5], secs[5]);
	if (e->flags & JCW_F_MEMCG_V1) {
		out_u64s("memcg_v1_id", e->memcg_id);
		out_key("memcg_v1_path");
		out_rev_path(sec[6], secs[6]);
	} else {
		fputs(",\"memcg_v1_id\":null,\"memcg_v1_path\":null", stdout);
	}
	printf(",\"pidns\":%u,\"mntns\":%u,\"utsns\":%u", e->pidns, e->mntns, e->utsns);
	out_key("nodename");
	out_cstr(e->nodename, sizeof(e->nodename));
	out_u64s("start_boot_ns", e->start_boot);
	printf(",\"flags\":%u}\n", e->flags);
}

static void handle_exit(const struct jcw_exit_event *e)
{
	__u32 raw = e->exit_raw;
	fputs("{\"v\":1,\"type\":\"exit\"", stdout);
	out_time(e->ts_boot);
	printf(",\"pid\":%u,\"tgid\":%u,\"ppid\":%u", e->pid, e->tgid, e->ppid);
	out_key("comm");
	out_cstr(e->comm, sizeof(e->comm));
	printf(",\"exit_raw\":%u,\"exit_code\":%u,\"signal\":%u,\"core_dumped\":%s", raw,
	       (raw >> 8) & 0xff, raw & 0x7f, raw & 0x80 ? "true" : "false");
	out_u64s("start_boot_ns", e->start_boot);
	out_u64s("start_unix_nano", (__u64)((__s64)e->start_boot + boot_offset_ns));
	printf(",\"duration_ns\":%llu}\n",
	       (unsigned long long)(e->ts_boot > e->start_boot ? e->ts_boot - e->start_boot : 0));
}

static void handle_fork(const struct jcw_fork_event *e)
{
	fputs("{\"v\":1,\"type\":\"fork\"", stdout);
	out_time(e->ts_boot);
	printf(",\"parent_pid\":%u,\"parent_tgid\":%u,\"child_tgid\":%u", e->parent_pid,
	       e->parent_tgid, e->child_tgid);
	out_key("comm");
	out_cstr(e->comm, sizeof(e->comm));
	out_u64s("child_start_boot_ns", e->child_start_boot);
	fputs("}\n", stdout);
}

/* Consecutive writes of one process to one fd (Python writes a traceback's carets a byte at a
 * time, ld a word at a time) are printed as one line: the first write's header, data joined. */
static struct {
	struct jcw_output_event hdr; /* data[] unused */
	__u32 writes;
	__u64 count;
	__u32 len;
	char data[JCW_OUTPUT_MAX];
} pend;

static void flush_output(void)
{
	if (!pend.writes)
		return;
	const struct jcw_output_event *e = &pend.hdr;
	fputs("{\"v\":1,\"type\":\"output\"", stdout);
	out_time(e->ts_boot);
	printf(",\"pid\":%u,\"tgid\":%u,\"fd\":%u,\"writes\":%u,\"count\":%llu", e->pid, e->tgid, e->fd,
	       pend.writes, (unsigned long long)pend.count);
	out_u64s("start_boot_ns", e->start_boot);
	out_key("data");
	out_str(pend.data, pend.len);
	fputs("}\n", stdout);
	pend.writes = 0;
}

static void handle_output(const struct jcw_output_event *e, size_t size)
{
	__u32 len = e->len;
	if (JCW_OUTPUT_HDR_SZ + len > size || len > JCW_OUTPUT_MAX) {
		fprintf(stderr, "jcw-exec: short output record (%zu)\n", size);
		return;
	}
	if (pend.writes && (pend.hdr.tgid != e->tgid || pend.hdr.fd != e->fd ||
			    pend.hdr.start_boot != e->start_boot || pend.len + len > JCW_OUTPUT_MAX))
		flush_output();
	if (!pend.writes) {
		memcpy(&pend.hdr, e, JCW_OUTPUT_HDR_SZ);
		pend.count = 0;
		pend.len = 0;
	}
	memcpy(pend.data + pend.len, e->data, len);
	pend.len += len;
	pend.count += e->count;
	pend.writes++;
}

static void handle_output_end(const struct jcw_output_end_event *e)
{
	fputs("{\"v\":1,\"type\":\"output_end\"", stdout);
	out_time(e->ts_boot);
	printf(",\"pid\":%u,\"tgid\":%u", e->pid, e->tgid);
	out_u64s("start_boot_ns", e->start_boot);
	printf(",\"stdout_bytes\":%llu,\"stdout_dropped\":%llu,\"stderr_bytes\":%llu,\"stderr_dropped\":%llu}\n",
	       (unsigned long long)e->captured[0], (unsigned long long)e->dropped[0],
	       (unsigned long long)e->captured[1], (unsigned long long)e->dropped[1]);
}

static int on_event(void *ctx, void *data, size_t size)
{
	__u32 type = size >= 4 ? *(__u32 *)data : 0;
	if (type != JCW_OUTPUT)
		flush_output(); /* keep the kernel's order: a process's output before its exit */
	switch (type) {
	case JCW_EXEC:
	case JCW_EXEC_FAILED:
		if (size < JCW_HDR_SZ)
			return 0;
		handle_exec(data, size);
		break;
	case JCW_EXIT:
		if (size < sizeof(struct jcw_exit_event))
			return 0;
		handle_exit(data);
		break;
	case JCW_FORK:
		if (size < sizeof(struct jcw_fork_event))
			return 0;
		handle_fork(data);
		break;
	case JCW_OUTPUT:
		if (size < JCW_OUTPUT_HDR_SZ)
			return 0;
		handle_output(data, size);
		break;
	case JCW_OUTPUT_END:
		if (size < sizeof(struct jcw_output_end_event))
			return 0;
		handle_output_end(data);
		break;
	default:
		fprintf(stderr, "jcw-exec: unknown record type %u\n", type);
		return 0;
	}
	delivered[type]++;
	return 0;
}

static void refresh_offset(void)
{
	struct timespec rt, bt;
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	boot_offset_ns = ((__s64)rt.tv_sec - bt.tv_sec) * 1000000000LL + (rt.tv_nsec - bt.tv_nsec);
}

static __u64 now_boot_ns(void)
{
	struct timespec bt;
	clock_gettime(CLOCK_BOOTTIME, &bt);
	return (__u64)bt.tv_sec * 1000000000ULL + bt.tv_nsec;
}

static void print_stats(int lost_fd)
{
	__u64 lost[JCW_NTYPES] = {0}, vals[ncpus > 0 ? ncpus : 1];
	for (__u32 t = 1; t < JCW_NTYPES; t++) {
		if (bpf_map_lookup_elem(lost_fd, &t, vals) == 0)
			for (int c = 0; c < ncpus; c++)
				lost[t] += vals[c];
	}
	__u64 lt = 0, dt = 0;
	fputs("{\"v\":1,\"type\":\"stats\"", stdout);
	out_time(now_boot_ns());
	for (int k = 0; k < 2; k++) {
		__u64 *arr = k ? delivered : lost;
		printf(",\"%s\":{", k ? "delivered" : "lost");
		for (int t = 1; t < JCW_NTYPES; t++) {
			printf("%s\"%s\":%llu", t > 1 ? "," : "", type_names[t], (unsigned long long)arr[t]);
			*(k ? &dt : &lt) += arr[t];
		}
		putchar_unlocked('}');
	}
	printf(",\"lost_total\":%llu,\"delivered_total\":%llu}\n", (unsigned long long)lt,
	       (unsigned long long)dt);
}

/* ---------- setup ---------- */

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		return 0;
	if (opt.verbose)
		fputs(msg, stderr);
	/* A failed load prints the whole verifier log in one message: keep the line
	 * before "verification time" / "processed N insns" (the rejection reason). */
	char *end = strstr(msg, "\nverification time");
	if (!end)
		end = strstr(msg, "\nprocessed ");
	if (level <= LIBBPF_WARN && end) {
		char *start = end;
		while (start > msg && start[-1] != '\n')
			start--;
		snprintf(last_libbpf_msg, sizeof(last_libbpf_msg), "%.*s", (int)(end - start), start);
	} else if (level == LIBBPF_WARN && !opt.verbose && strlen(msg) < 300) {
		fprintf(stderr, "%s", msg);
	}
	free(msg);
	return 0;
}

static bool has_cap(int cap)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {};
	if (syscall(SYS_capget, &h, d))
		return false;
	return d[cap / 32].effective & (1u << (cap % 32));
}

/* Name the missing capability/feature for the one-line error. */
static const char *diagnose(int err)
{
	static char buf[256];
	if (access("/sys/kernel/btf/vmlinux", R_OK))
		return "kernel BTF missing (/sys/kernel/btf/vmlinux; needs CONFIG_DEBUG_INFO_BTF)";
	bool bpf = has_cap(CAP_BPF) || has_cap(CAP_SYS_ADMIN);
	bool perfmon = has_cap(CAP_PERFMON) || has_cap(CAP_SYS_ADMIN);
	if (!bpf || !perfmon) {
		snprintf(buf, sizeof(buf), "missing capability %s%s%s (or CAP_SYS_ADMIN)",
			 bpf ? "" : "CAP_BPF", !bpf && !perfmon ? " and " : "",
			 perfmon ? "" : "CAP_PERFMON");
		return buf;
	}
	if (err == -EPERM)
		return "permission denied by the kernel (lockdown, seccomp or unprivileged_bpf)";
	snprintf(buf, sizeof(buf), "verifier or kernel rejected the program (%s): %.160s", strerror(-err),
		 last_libbpf_msg);
	return buf;
}

/* Classic tracepoints need tracefs to resolve ids; mount it when absent. */
static void ensure_tracefs(void)
{
	if (!access("/sys/kernel/tracing/events", F_OK) || !access("/sys/kernel/debug/tracing/events", F_OK))
		return;
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL) && opt.verbose)
		fprintf(stderr, "jcw-exec: mounting tracefs failed: %s\n", strerror(errno));
}

static void on_signal(int sig) { exiting = 1; }

static void usage(FILE *f)
{
	fputs("usage: jcw-exec [--self-pid N]... [--skip-descendants] [--hostname-prefix STR]...\n"
	      "                [--cgroup-id N]... [--ringbuf-bytes N] [--drain-ms N] [--stats-ms N]\n"
	      "                [--no-failed-exec] [--capture-stderr-bytes N] [--capture-stdout-bytes N]\n"
	      "                [--capture-name NAME]... [--verbose]\n"
	      "Prints NDJSON events (exec, exec_failed, exit, fork, output, output_end, stats) on stdout.\n",
	      f);
}

static unsigned long long num_arg(const char *name, const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || !*s || *end) {
		fprintf(stderr, "jcw-exec: bad number for --%s: %s\n", name, s);
		exit(1);
	}
	return v;
}

static void parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"self-pid", required_argument, 0, 'p'},
		{"skip-descendants", no_argument, 0, 'd'},
		{"hostname-prefix", required_argument, 0, 'H'},
		{"cgroup-id", required_argument, 0, 'c'},
		{"ringbuf-bytes", required_argument, 0, 'r'},
		{"drain-ms", required_argument, 0, 'D'},
		{"stats-ms", required_argument, 0, 's'},
		{"no-failed-exec", no_argument, 0, 'n'},
		{"capture-stderr-bytes", required_argument, 0, 'E'},
		{"capture-stdout-bytes", required_argument, 0, 'O'},
		{"capture-name", required_argument, 0, 'N'},
		{"verbose", no_argument, 0, 'v'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (opt.n_self_pids < MAX_SELF_PIDS)
				opt.self_pids[opt.n_self_pids++] = num_arg("self-pid", optarg);
			break;
		case 'd': opt.skip_descendants = true; break;
		case 'H':
			if (opt.n_host_prefixes >= JCW_HOST_PREFIXES ||
			    strlen(optarg) >= JCW_HOST_PREFIX_LEN || !*optarg) {
				fprintf(stderr, "jcw-exec: at most %d --hostname-prefix of 1..%d bytes\n",
					JCW_HOST_PREFIXES, JCW_HOST_PREFIX_LEN - 1);
				exit(1);
			}
			opt.host_prefixes[opt.n_host_prefixes++] = optarg;
			break;
		case 'c':
			if (opt.n_cgroup_ids < MAX_CGROUP_IDS)
				opt.cgroup_ids[opt.n_cgroup_ids++] = num_arg("cgroup-id", optarg);
			break;
		case 'r': {
			__u64 v = num_arg("ringbuf-bytes", optarg);
			if (v < 4096 || (v & (v - 1))) {
				fprintf(stderr, "jcw-exec: --ringbuf-bytes must be a power of two >= 4096\n");
				exit(1);
			}
			opt.ringbuf_bytes = v;
			break;
		}
		case 'D': opt.drain_ms = num_arg("drain-ms", optarg); break;
		case 's': opt.stats_ms = num_arg("stats-ms", optarg); break;
		case 'n': opt.no_failed_exec = true; break;
		case 'E': opt.capture_bytes[1] = num_arg("capture-stderr-bytes", optarg); break;
		case 'O': opt.capture_bytes[0] = num_arg("capture-stdout-bytes", optarg); break;
		case 'N': {
			/* Normalised as the kernel compares: trailing version digits/dots, then one '-', dropped. */
			size_t l = strlen(optarg);
			while (l > 0 && ((optarg[l - 1] >= '0' && optarg[l - 1] <= '9') || optarg[l - 1] == '.'))
				l--;
			if (l > 0 && optarg[l - 1] == '-')
				l--;
			if (opt.n_capture_names >= JCW_CAPTURE_NAMES || l == 0 || l >= JCW_CAPTURE_NAME_LEN) {
				fprintf(stderr, "jcw-exec: at most %d --capture-name of 1..%d bytes (without a version)\n",
					JCW_CAPTURE_NAMES, JCW_CAPTURE_NAME_LEN - 1);
				exit(1);
			}
			for (int i = 0; i < opt.n_capture_names; i++)
				if (strlen(opt.capture_names[i]) == l && !memcmp(opt.capture_names[i], optarg, l))
					goto dup;
			memcpy(opt.capture_names[opt.n_capture_names++], optarg, l);
		dup:
			break;
		}
		case 'v': opt.verbose = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(1);
		}
	}
	if (opt.drain_ms <= 0)
		opt.drain_ms = 100;
}

struct prog_slot {
	const char *name;
	struct bpf_program *prog;
	bool required;
	bool attached; /* set at attach time */
	struct bpf_link *link;
};

int main(int argc, char **argv)
{
	parse_args(argc, argv);
	prctl(PR_SET_PDEATHSIG, SIGTERM);

	struct stat st;
	if (fstat(STDOUT_FILENO, &st) == 0 && S_ISFIFO(st.st_mode))
		fcntl(STDOUT_FILENO, F_SETPIPE_SZ, 1 << 20); /* best effort */
	static char outbuf[1 << 20];
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));

	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: blocked writes return */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);

	libbpf_set_print(libbpf_log);
	ensure_tracefs();
	ncpus = libbpf_num_possible_cpus();
	refresh_offset();

	struct jcw_exec *skel = jcw_exec__open();
	if (!skel) {
		out_error("cannot open BPF object: %s", diagnose(-errno));
		return EXIT_LOAD;
	}
	skel->rodata->n_host_prefixes = opt.n_host_prefixes;
	for (int i = 0; i < opt.n_host_prefixes; i++) {
		size_t l = strlen(opt.host_prefixes[i]);
		memcpy((char *)skel->rodata->host_prefix[i], opt.host_prefixes[i], l);
		skel->rodata->host_prefix_len[i] = l;
	}
	skel->rodata->filter_cgroups = opt.n_cgroup_ids > 0;
	skel->rodata->skip_descendants = opt.skip_descendants;
	skel->rodata->wakeup_bytes = opt.ringbuf_bytes / 4 < 256 * 1024 ? opt.ringbuf_bytes / 4 : 256 * 1024;
	bpf_map__set_max_entries(skel->maps.rb, opt.ringbuf_bytes);
	bpf_map__set_max_entries(skel->maps.scratch, ncpus > 0 ? ncpus : 1);
	bpf_map__set_max_entries(skel->maps.out_scratch, ncpus > 0 ? ncpus : 1);
	bool capture = (opt.capture_bytes[0] || opt.capture_bytes[1]) && opt.n_capture_names > 0;
	if (capture) {
		skel->rodata->capture_bytes[0] = opt.capture_bytes[0];
		skel->rodata->capture_bytes[1] = opt.capture_bytes[1];
		skel->rodata->n_capture_names = opt.n_capture_names;
		for (int i = 0; i < opt.n_capture_names; i++) {
			size_t l = strlen(opt.capture_names[i]);
			memcpy((char *)skel->rodata->capture_name[i], opt.capture_names[i], l);
			skel->rodata->capture_name_len[i] = l;
		}
	} else { /* no write hooks at all: zero cost on the node's writes */
		bpf_program__set_autoload(skel->progs.enter_write, false);
		bpf_program__set_autoload(skel->progs.enter_writev, false);
	}
	if (opt.no_failed_exec) {
		bpf_program__set_autoload(skel->progs.enter_execve, false);
		bpf_program__set_autoload(skel->progs.enter_execveat, false);
		bpf_program__set_autoload(skel->progs.exit_execve, false);
		bpf_program__set_autoload(skel->progs.exit_execveat, false);
	}

	int err = jcw_exec__load(skel);
	if (err) {
		out_error("cannot load BPF programs: %s", diagnose(err));
		jcw_exec__destroy(skel);
		return EXIT_LOAD;
	}

	__u8 one = 1;
	__u32 me = getpid();
	bpf_map__update_elem(skel->maps.skip_tgids, &me, sizeof(me), &one, 1, BPF_ANY);
	for (int i = 0; i < opt.n_self_pids; i++)
		bpf_map__update_elem(skel->maps.skip_tgids, &opt.self_pids[i], 4, &one, 1, BPF_ANY);
	for (int i = 0; i < opt.n_cgroup_ids; i++)
		bpf_map__update_elem(skel->maps.allowed_cgroups, &opt.cgroup_ids[i], 8, &one, 1, BPF_ANY);

	struct prog_slot slots[] = {
		{"sched_process_exec", skel->progs.handle_exec, true},
		{"sched_process_exit", skel->progs.handle_exit, false},
		{"sched_process_exit_btf", skel->progs.handle_exit_btf, false},
		{"sched_process_fork", skel->progs.handle_fork, true},
		{"sys_enter_execve", skel->progs.enter_execve, false},
		{"sys_exit_execve", skel->progs.exit_execve, false},
		{"sys_enter_execveat", skel->progs.enter_execveat, false},
		{"sys_exit_execveat", skel->progs.exit_execveat, false},
		{"sys_enter_write", skel->progs.enter_write, false},
		{"sys_enter_writev", skel->progs.enter_writev, false},
	};
	const int nslots = sizeof(slots) / sizeof(slots[0]);
	for (int i = 0; i < nslots; i++) {
		struct prog_slot *s = &slots[i];
		if (opt.no_failed_exec && i >= 4 && i < 8)
			continue;
		if (i >= 8 && !capture)
			continue;
		if (i == 2 && slots[1].attached)
			continue; /* btf exit only as a fallback */
		s->link = bpf_program__attach(s->prog);
		s->attached = s->link != NULL;
		if (!s->attached) {
			int e = -errno;
			if (s->required || (i == 2 && !slots[1].attached)) {
				out_error("cannot attach %s: %s", s->name,
					  e == -ENOENT ? "tracepoint not found (tracefs not mounted?)" : diagnose(e));
				jcw_exec__destroy(skel);
				return EXIT_LOAD;
			}
			fprintf(stderr, "jcw-exec: %s not attached (%s); continuing\n", s->name, strerror(-e));
		}
	}

	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(skel->maps.rb), on_event, NULL, NULL);
	if (!rb) {
		out_error("cannot create ring buffer: %s", strerror(errno));
		jcw_exec__destroy(skel);
		return EXIT_LOAD;
	}

	struct utsname u;
	uname(&u);
	fputs("{\"v\":1,\"type\":\"hello\"", stdout);
	out_key("loader_version");
	out_cstr(LOADER_VERSION, 16);
	printf(",\"bpf_version\":%d", JCW_BPF_VERSION);
	out_key("kernel");
	out_cstr(u.release, sizeof(u.release));
	printf(",\"pid\":%d,\"ncpus\":%d,\"ringbuf_bytes\":%llu,\"drain_ms\":%d,\"stats_ms\":%d",
	       getpid(), ncpus, (unsigned long long)opt.ringbuf_bytes, opt.drain_ms, opt.stats_ms);
	out_u64s("boot_offset_ns", boot_offset_ns);
	fputs(",\"programs\":{", stdout);
	for (int i = 0; i < nslots; i++)
		printf("%s\"%s\":%s", i ? "," : "", slots[i].name, slots[i].attached ? "true" : "false");
	fputs("},\"filters\":{\"self_pids\":[", stdout);
	printf("%u", me);
	for (int i = 0; i < opt.n_self_pids; i++)
		printf(",%u", opt.self_pids[i]);
	printf("],\"skip_descendants\":%s,\"hostname_prefixes\":[", opt.skip_descendants ? "true" : "false");
	for (int i = 0; i < opt.n_host_prefixes; i++) {
		if (i)
			putchar_unlocked(',');
		out_cstr(opt.host_prefixes[i], JCW_HOST_PREFIX_LEN);
	}
	fputs("],\"cgroup_ids\":[", stdout);
	for (int i = 0; i < opt.n_cgroup_ids; i++)
		printf("%s\"%llu\"", i ? "," : "", (unsigned long long)opt.cgroup_ids[i]);
	printf("]},\"capture\":{\"stderr_bytes\":%u,\"stdout_bytes\":%u,\"names\":[",
	       capture ? opt.capture_bytes[1] : 0, capture ? opt.capture_bytes[0] : 0);
	for (int i = 0; capture && i < opt.n_capture_names; i++) {
		if (i)
			putchar_unlocked(',');
		out_cstr(opt.capture_names[i], JCW_CAPTURE_NAME_LEN);
	}
	fputs("]}}\n", stdout);
	fflush(stdout);

	int lost_fd = bpf_map__fd(skel->maps.lost);
	__u64 next_stats = now_boot_ns() + (__u64)opt.stats_ms * 1000000ULL;
	int rc = 0;
	while (!exiting) {
		err = ring_buffer__poll(rb, opt.drain_ms);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "jcw-exec: ring_buffer__poll: %s\n", strerror(-err));
			rc = 1;
			break;
		}
		/* Records submitted with BPF_RB_NO_WAKEUP never wake epoll. */
		ring_buffer__consume(rb);
		flush_output();
		refresh_offset();
		if (opt.stats_ms > 0 && now_boot_ns() >= next_stats) {
			print_stats(lost_fd);
			next_stats = now_boot_ns() + (__u64)opt.stats_ms * 1000000ULL;
		}
		if (fflush(stdout) || ferror(stdout))
			break; /* EPIPE: the consumer is gone */
		/* A closed pipe reader shows as POLLERR before the next write fails. */
		struct pollfd pfd = {.fd = STDOUT_FILENO, .events = 0};
		if (poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLERR | POLLHUP)))
			break;
	}
	if (!ferror(stdout)) { /* final drain and counters on a clean stop */
		ring_buffer__consume(rb);
		flush_output();
		print_stats(lost_fd);
		fflush(stdout);
	}
	ring_buffer__free(rb);
	jcw_exec__destroy(skel);
	return rc;
}
