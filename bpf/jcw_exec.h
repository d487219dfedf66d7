/* SPDX-License-Identifier: Apache-2.0 */
/* Records shared by jcw_exec.bpf.c (producer) and jcw_exec_loader.c (consumer). */
#ifndef JCW_EXEC_H
#define JCW_EXEC_H

#define JCW_BPF_VERSION 1

#define JCW_COMM_LEN 16
#define JCW_NODENAME_LEN 65
#define JCW_HOST_PREFIXES 4
#define JCW_HOST_PREFIX_LEN 64

/* Caps of the variable sections of an exec record (bytes, incl. NULs). */
#define JCW_ARGV_MAX 16384
#define JCW_FILENAME_MAX 4096
#define JCW_INTERP_MAX 1024
#define JCW_EXE_NAME_MAX 256
#define JCW_CWD_MAX 4096
#define JCW_CGROUP_PATH_MAX 1024
#define JCW_NAME_CHUNK 256    /* one path component / failed-exec arg read */
#define JCW_FAILED_ARGS_MAX 64 /* argv pointers walked for a failed exec */
#define JCW_WALK_DEPTH 64      /* dentry / kernfs levels walked */

/* Sum of the caps above is < 32 KiB; offsets are masked with JCW_OFF_MASK and the
 * scratch area is sized so that a masked offset plus one chunk stays in bounds. */
#define JCW_OFF_MASK 0x7fff
#define JCW_DATA_SZ (JCW_OFF_MASK + 1 + JCW_FILENAME_MAX)

enum jcw_type {
	JCW_EXEC = 1,
	JCW_EXEC_FAILED = 2,
	JCW_EXIT = 3,
	JCW_FORK = 4,
	JCW_OUTPUT = 5,     /* bytes a flagged process wrote to fd 2 (or fd 1, opt-in) */
	JCW_OUTPUT_END = 6, /* at exit of a flagged process whose capture was cut: what was dropped */
};
#define JCW_NTYPES 7 /* index 0 unused; lost[] and counters are indexed by type */

/* Output capture: processes flagged at exec by name (compilers, interpreters), and their
 * descendants (flag inherited at fork), have what they write to fd 2 (fd 1 opt-in) copied,
 * up to a byte budget per process and stream. */
#define JCW_CAPTURE_NAMES 16
#define JCW_CAPTURE_NAME_LEN 16
#define JCW_OUTPUT_MAX 16384  /* bytes copied from one write/writev (power of two) */
#define JCW_IOV_MAX 8         /* iovecs read from one writev */
#define JCW_EXE_MATCH_LEN 64  /* tail of the exe name compared with the capture names */

enum jcw_flags {
	JCW_F_ARGV_TRUNC = 1 << 0,   /* argv longer than captured */
	JCW_F_ARGV_FAULT = 1 << 1,   /* argv could not be read */
	JCW_F_CWD_TRUNC = 1 << 2,    /* dentry walk hit depth or size cap */
	JCW_F_CGROUP_TRUNC = 1 << 3, /* v2 cgroup path walk hit a cap */
	JCW_F_MEMCG_TRUNC = 1 << 4,  /* v1 memory cgroup path walk hit a cap */
	JCW_F_MEMCG_V1 = 1 << 5,     /* memory controller is on a v1 hierarchy */
	JCW_F_FILENAME_TRUNC = 1 << 6,
};

/* exec and exec_failed. data[] holds, in this order and with these lengths:
 * argv (NUL-separated, as in /proc/pid/cmdline), filename, interp, exe_name,
 * cwd, cgroup_path, memcg_path. The three paths are NUL-terminated components
 * listed leaf first (the loader reverses them). Strings carry their NUL. */
struct jcw_exec_event {
	__u32 type;
	__u32 data_len; /* bytes of data[] used */
	__u64 ts_boot;    /* bpf_ktime_get_boot_ns() */
	__u64 start_boot; /* group leader start_boottime */
	__u32 pid;        /* thread id (after exec: == tgid) */
	__u32 tgid;
	__u32 old_pid;    /* tid that called execve (differs for a thread exec) */
	__u32 ppid;       /* real_parent tgid */
	__u32 vpid;       /* tgid in its own pid namespace */
	__u32 uid, gid, euid;
	__s32 ret;        /* exec_failed: syscall return (-errno) */
	__u32 argc;       /* exec: bprm->argc; exec_failed: pointers read */
	__u32 args_size;  /* exec: arg_end - arg_start (full, untruncated) */
	__u32 flags;      /* enum jcw_flags */
	__u32 dev;        /* kernel s_dev of the exe: major << 20 | minor */
	__u32 pidns, mntns, utsns;
	__u64 ino;
	__u64 cgroup_id;  /* v2 (default hierarchy) cgroup id */
	__u64 memcg_id;   /* v1 memory cgroup kernfs id, 0 when not on v1 */
	__u16 argv_len, filename_len, interp_len, exe_name_len;
	__u16 cwd_len, cgroup_path_len, memcg_path_len, _pad;
	char comm[JCW_COMM_LEN];
	char nodename[JCW_NODENAME_LEN];
	char _pad2[7];
	char data[JCW_DATA_SZ];
};
#define JCW_HDR_SZ __builtin_offsetof(struct jcw_exec_event, data)

struct jcw_exit_event {
	__u32 type;
	__u32 exit_raw;   /* task->exit_code of the last thread */
	__u64 ts_boot;
	__u64 start_boot;
	__u32 pid;        /* the thread that exited last */
	__u32 tgid;
	__u32 ppid;
	__u32 _pad;
	char comm[JCW_COMM_LEN]; /* group leader comm */
};

struct jcw_fork_event {
	__u32 type;
	__u32 parent_pid;
	__u64 ts_boot;
	__u64 child_start_boot;
	__u32 parent_tgid;
	__u32 child_tgid;
	char comm[JCW_COMM_LEN];
};

/* Map value: one per flagged thread group. Index 0 = stdout (fd 1), 1 = stderr (fd 2). */
struct jcw_capture {
	__u64 start_boot; /* group leader start_boottime: with tgid, the process identity */
	__u32 left[2];    /* budget left, bytes */
	__u64 captured[2];
	__u64 dropped[2]; /* bytes written past the budget (or past JCW_OUTPUT_MAX in one write) */
};

struct jcw_output_event {
	__u32 type;
	__u32 fd;
	__u64 ts_boot;
	__u64 start_boot;
	__u32 pid;
	__u32 tgid;
	__u32 count; /* bytes the write asked for (sum of the iovecs read for writev) */
	__u32 len;   /* bytes of data[] used */
	__u32 left;  /* producer's scratch (budget while reading iovecs); not for the consumer */
	__u32 _pad;
	char data[2 * JCW_OUTPUT_MAX]; /* masked offsets + one chunk stay in bounds */
};
#define JCW_OUTPUT_HDR_SZ __builtin_offsetof(struct jcw_output_event, data)

struct jcw_output_end_event {
	__u32 type;
	__u32 pid;
	__u64 ts_boot;
	__u64 start_boot;
	__u32 tgid;
	__u32 _pad;
	__u64 captured[2];
	__u64 dropped[2];
};

#endif
