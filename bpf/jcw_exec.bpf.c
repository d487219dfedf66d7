// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/* JCode Watcher: exec / exec_failed / exit / fork capture (libbpf CO-RE).
 * Only tracepoints are used: kprobes/fentry are unavailable on the target nodes. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "jcw_exec.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by the loader before load; constants let the verifier drop unused filters. */
const volatile __u32 n_host_prefixes = 0;
const volatile __u8 host_prefix_len[JCW_HOST_PREFIXES] = {};
const volatile char host_prefix[JCW_HOST_PREFIXES][JCW_HOST_PREFIX_LEN] = {};
const volatile bool filter_cgroups = false;
const volatile bool skip_descendants = false;
const volatile __u64 wakeup_bytes = 256 * 1024;
/* Output capture budget per process: [0] stdout (fd 1), [1] stderr (fd 2); 0 = that stream off. */
const volatile __u32 capture_bytes[2] = {};
const volatile __u32 n_capture_names = 0;
const volatile __u8 capture_name_len[JCW_CAPTURE_NAMES] = {};
const volatile char capture_name[JCW_CAPTURE_NAMES][JCW_CAPTURE_NAME_LEN] = {};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 * 1024 * 1024); /* resized by the loader */
} rb SEC(".maps");

/* Lost records per enum jcw_type (ring full). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, JCW_NTYPES);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/* One exec record per CPU (too big for the stack and for a per-CPU map value);
 * max_entries is set to the number of possible CPUs by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct jcw_exec_event);
} scratch SEC(".maps");

/* execve arguments saved at syscall entry, used only when the exec fails. */
struct pending_exec {
	__u64 filename;
	__u64 argv;
};
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct pending_exec);
} pending SEC(".maps");

/* tgids never reported (the agent, the loader, optionally their descendants). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} skip_tgids SEC(".maps");

/* Allowed cgroup ids (v2 or v1 memory, the cgroup itself or any ancestor). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u8);
} allowed_cgroups SEC(".maps");

/* Thread groups whose fd 2 (fd 1 opt-in) writes are copied: set at exec by name, inherited at fork,
 * removed at exit. LRU: an entry whose exit was missed ages out. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct jcw_capture);
} capture SEC(".maps");

/* One output record per CPU, like scratch (max_entries set by the loader). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct jcw_output_event);
} out_scratch SEC(".maps");

struct name_buf {
	char s[JCW_EXE_MATCH_LEN];
	__u32 len;
	__u32 hit;
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct name_buf);
} name_scratch SEC(".maps");

/* kernfs_node.parent was renamed __parent in 6.15. */
struct kernfs_node___old {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(kn->__parent))
		return BPF_CORE_READ(kn, __parent);
	return BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
}

static __always_inline void count_lost(__u32 type)
{
	__u64 *c = bpf_map_lookup_elem(&lost, &type);
	if (c)
		(*c)++;
}

/* Wake the loader only when a lot is queued: per-record wakeups (irq_work IPIs)
 * cost ~15x the program itself. The loader drains on a timer. */
static __always_inline __u64 rb_flags(void)
{
	return bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA) > wakeup_bytes ? BPF_RB_FORCE_WAKEUP
									 : BPF_RB_NO_WAKEUP;
}

static __always_inline struct jcw_exec_event *get_scratch(void)
{
	__u32 cpu = bpf_get_smp_processor_id();
	return bpf_map_lookup_elem(&scratch, &cpu);
}

/* The mask must survive the compiler (which may prove it redundant) for the
 * verifier to bound a variable offset into data[]. */
static __always_inline char *data_at(struct jcw_exec_event *ev, __u32 off)
{
	barrier_var(off);
	return &ev->data[off & JCW_OFF_MASK];
}

static __always_inline bool host_match(const char *name)
{
	for (int i = 0; i < JCW_HOST_PREFIXES; i++) {
		if (i >= n_host_prefixes)
			break;
		__u32 len = host_prefix_len[i];
		bool ok = true;
		for (int j = 0; j < JCW_HOST_PREFIX_LEN; j++) {
			if (j >= len)
				break;
			if (name[j] != host_prefix[i][j]) {
				ok = false;
				break;
			}
		}
		if (ok)
			return true;
	}
	return false;
}

static __always_inline bool kn_chain_allowed(struct kernfs_node *kn)
{
	for (int i = 0; i < 16; i++) {
		if (!kn)
			break;
		__u64 id = BPF_CORE_READ(kn, id);
		if (bpf_map_lookup_elem(&allowed_cgroups, &id))
			return true;
		kn = kn_parent(kn);
	}
	return false;
}

/* The memory controller's cgroup kernfs node, only when it is on a v1 hierarchy
 * (hybrid nodes: the v2 cgroup id is the root for everyone there). */
static __always_inline struct kernfs_node *memcg_v1_kn(struct task_struct *task)
{
	if (!bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id))
		return NULL;
	int idx = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	if (idx < 0 || idx >= 16)
		return NULL;
	struct css_set *cs = BPF_CORE_READ(task, cgroups);
	struct cgroup_subsys_state *css = NULL;
	bpf_core_read(&css, sizeof(css), &cs->subsys[idx]);
	if (!css)
		return NULL;
	struct cgroup *cg = BPF_CORE_READ(css, cgroup);
	if (!cg || BPF_CORE_READ(cg, root, hierarchy_id) == 0)
		return NULL;
	return BPF_CORE_READ(cg, kn);
}

static __always_inline struct kernfs_node *dfl_kn(struct task_struct *task)
{
	return BPF_CORE_READ(task, cgroups, dfl_cgrp, kn);
}

/* Filters shared by all event types. nodename (JCW_NODENAME_LEN) is filled only
 * when a hostname filter is set; callers that need it read it themselves. */
static __always_inline bool allowed(struct task_struct *task, __u32 tgid, char *nodename)
{
	if (bpf_map_lookup_elem(&skip_tgids, &tgid))
		return false;
	if (n_host_prefixes > 0) {
		/* explicit size: BPF_CORE_READ_STR_INTO would use sizeof(*char *) */
		struct uts_namespace *uts = BPF_CORE_READ(task, nsproxy, uts_ns);
		bpf_core_read_str(nodename, JCW_NODENAME_LEN, &uts->name.nodename);
		if (!host_match(nodename))
			return false;
	}
	if (filter_cgroups) {
		if (!kn_chain_allowed(dfl_kn(task)) && !kn_chain_allowed(memcg_v1_kn(task)))
			return false;
	}
	return true;
}

/* ---- path walks (bpf_loop: an unrolled 64-level walk exceeds the verifier budget) ---- */

/* The write cursor lives in the map value (ev->data_len), not in the loop
 * context: a precise offset on the stack differs per iteration, so the verifier
 * never sees the callback converge and runs out of its 1M-instruction budget. */
struct walk_ctx {
	__u32 limit;      /* section end (absolute offset) */
	__u32 trunc_flag; /* enum jcw_flags bit set when a cap is hit */
	struct dentry *dentry;
	struct mount *mnt;
	struct dentry *root_dentry;
	struct vfsmount *root_mnt;
	struct kernfs_node *kn;
};

/* Append one NUL-terminated component at the cursor; returns 1 to stop. */
static __always_inline long emit_name(struct walk_ctx *w, const void *name)
{
	struct jcw_exec_event *ev = get_scratch();
	if (!ev)
		return 1;
	__u32 off = ev->data_len;
	if (off + JCW_NAME_CHUNK > w->limit) {
		ev->flags |= w->trunc_flag;
		return 1;
	}
	long n = bpf_probe_read_kernel_str(data_at(ev, off), JCW_NAME_CHUNK, name);
	if (n <= 0)
		return 1;
	ev->data_len = off + n;
	return 0;
}

static __always_inline void depth_cap(struct walk_ctx *w, __u32 i)
{
	if (i != JCW_WALK_DEPTH - 1)
		return;
	struct jcw_exec_event *ev = get_scratch();
	if (ev)
		ev->flags |= w->trunc_flag;
}

static long dentry_step(__u32 i, void *data)
{
	struct walk_ctx *w = data;
	struct dentry *d = w->dentry;
	struct mount *mnt = w->mnt;
	struct vfsmount *vfsmnt = &mnt->mnt;

	if (d == w->root_dentry && vfsmnt == w->root_mnt)
		return 1;
	struct dentry *mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
	if (d == mnt_root) {
		struct mount *parent = BPF_CORE_READ(mnt, mnt_parent);
		if (parent == mnt)
			return 1; /* global root */
		w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = parent;
		return 0;
	}
	struct dentry *up = BPF_CORE_READ(d, d_parent);
	if (up == d)
		return 1;
	if (emit_name(w, BPF_CORE_READ(d, d_name.name)))
		return 1;
	w->dentry = up;
	depth_cap(w, i);
	return 0;
}

static long kn_step(__u32 i, void *data)
{
	struct walk_ctx *w = data;
	struct kernfs_node *kn = w->kn;
	struct kernfs_node *up = kn_parent(kn);
	if (!up)
		return 1; /* the hierarchy root has no name in the path */
	if (emit_name(w, BPF_CORE_READ(kn, name)))
		return 1;
	w->kn = up;
	depth_cap(w, i);
	return 0;
}

/* cwd relative to the task's root, components leaf first, appended at the cursor. */
static __always_inline void walk_cwd(struct jcw_exec_event *ev, struct task_struct *task)
{
	__u32 start = ev->data_len;
	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	if (fs) {
		struct walk_ctx w = {.limit = start + JCW_CWD_MAX, .trunc_flag = JCW_F_CWD_TRUNC};
		struct vfsmount *pwd_mnt = BPF_CORE_READ(fs, pwd.mnt);
		w.dentry = BPF_CORE_READ(fs, pwd.dentry);
		/* container_of with a CO-RE relocated offset */
		w.mnt = (void *)pwd_mnt - bpf_core_field_offset(struct mount, mnt);
		w.root_dentry = BPF_CORE_READ(fs, root.dentry);
		w.root_mnt = BPF_CORE_READ(fs, root.mnt);
		bpf_loop(JCW_WALK_DEPTH, dentry_step, &w, 0);
	}
	ev->cwd_len = ev->data_len - start;
}

static __always_inline __u16 walk_kn(struct jcw_exec_event *ev, struct kernfs_node *kn, __u32 flag)
{
	__u32 start = ev->data_len;
	if (kn) {
		struct walk_ctx w = {.limit = start + JCW_CGROUP_PATH_MAX, .trunc_flag = flag, .kn = kn};
		bpf_loop(JCW_WALK_DEPTH, kn_step, &w, 0);
	}
	return ev->data_len - start;
}

static __always_inline void fill_task(struct jcw_exec_event *ev, struct task_struct *task)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	ev->ts_boot = bpf_ktime_get_boot_ns();
	ev->pid = (__u32)pid_tgid;
	ev->tgid = pid_tgid >> 32;
	ev->ppid = BPF_CORE_READ(task, real_parent, tgid);
	ev->start_boot = BPF_CORE_READ(task, group_leader, start_boottime);
	ev->uid = BPF_CORE_READ(task, cred, uid.val);
	ev->gid = BPF_CORE_READ(task, cred, gid.val);
	ev->euid = BPF_CORE_READ(task, cred, euid.val);
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	if (n_host_prefixes == 0) /* else allowed() already read it */
		BPF_CORE_READ_STR_INTO(&ev->nodename, task, nsproxy, uts_ns, name.nodename);

	struct pid *tp = BPF_CORE_READ(task, thread_pid);
	__u32 level = BPF_CORE_READ(tp, level);
	struct upid up = {};
	bpf_core_read(&up, sizeof(up), &tp->numbers[level & 31]);
	ev->vpid = up.nr;
	ev->pidns = BPF_CORE_READ(up.ns, ns.inum);
	ev->mntns = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
	ev->utsns = BPF_CORE_READ(task, nsproxy, uts_ns, ns.inum);

	struct kernfs_node *kn = dfl_kn(task);
	ev->cgroup_id = BPF_CORE_READ(kn, id);
	struct kernfs_node *mkn = memcg_v1_kn(task);
	ev->memcg_id = mkn ? BPF_CORE_READ(mkn, id) : 0;
	if (mkn)
		ev->flags |= JCW_F_MEMCG_V1;
}

/* Sections after argv/filename: cwd and both cgroup paths (exec and exec_failed). */
static __always_inline void fill_paths(struct jcw_exec_event *ev, struct task_struct *task, __u32 off)
{
	ev->data_len = off;
	walk_cwd(ev, task);
	ev->cgroup_path_len = walk_kn(ev, dfl_kn(task), JCW_F_CGROUP_TRUNC);
	ev->memcg_path_len = walk_kn(ev, memcg_v1_kn(task), JCW_F_MEMCG_TRUNC);
}

static __always_inline void clear_header(struct jcw_exec_event *ev)
{
	/* Zero only the header; data[] sections are length-delimited. */
	__builtin_memset(ev, 0, JCW_HDR_SZ);
}

static __always_inline void submit_exec(struct jcw_exec_event *ev)
{
	__u32 off = ev->data_len;
	barrier_var(off);
	__u32 size = JCW_HDR_SZ + (off & JCW_OFF_MASK);
	if (bpf_ringbuf_output(&rb, ev, size, rb_flags()))
		count_lost(ev->type);
}

/* ---- output capture: flag at exec / fork, copy fd 2 (fd 1) writes, report cuts at exit ---- */

static __always_inline bool capture_on(void)
{
	return capture_bytes[0] || capture_bytes[1];
}

static __always_inline bool version_char(char c)
{
	return (c >= '0' && c <= '9') || c == '.';
}

#define NAME_MASK (JCW_EXE_MATCH_LEN - 1)

static __always_inline struct name_buf *get_name_buf(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&name_scratch, &zero);
}

/* Matching runs in bpf_loop callbacks with its state in the map value: unrolled loops with
 * data-dependent exits multiply the verifier's paths past its budget. */
static long strip_step(__u32 i, void *ctx)
{
	struct name_buf *b = get_name_buf();
	if (!b)
		return 1;
	__u32 len = b->len;
	if (len == 0 || len > JCW_EXE_MATCH_LEN || !version_char(b->s[(len - 1) & NAME_MASK]))
		return 1;
	b->len = len - 1;
	return 0;
}

static long name_step(__u32 k, void *ctx)
{
	struct name_buf *b = get_name_buf();
	if (!b)
		return 1;
	__u32 len = b->len;
	k &= JCW_CAPTURE_NAMES - 1;
	__u32 nl = capture_name_len[k];
	if (nl == 0 || nl > len || len > JCW_EXE_MATCH_LEN)
		return 0;
	__u32 start = len - nl;
	if (start > 0 && b->s[(start - 1) & NAME_MASK] != '-')
		return 0;
	for (int j = 0; j < JCW_CAPTURE_NAME_LEN; j++) {
		if (j >= nl)
			break;
		if (b->s[(start + j) & NAME_MASK] != capture_name[k][j])
			return 0;
	}
	b->hit = 1;
	return 1;
}

/* NAME, TRIPLET-NAME, each with an optional version (gcc-12, python3.11, x86_64-linux-gnu-gcc-12):
 * trailing digits and dots are dropped, then one '-'; the loader normalises the names the same way.
 * n: what bpf_probe_read_*_str returned for b->s (length with the NUL). */
static __always_inline bool capture_match(struct name_buf *b, long n)
{
	if (n <= 1)
		return false;
	b->len = n - 1;
	b->hit = 0;
	bpf_loop(JCW_EXE_MATCH_LEN, strip_step, NULL, 0);
	__u32 len = b->len;
	if (len > 0 && len <= JCW_EXE_MATCH_LEN && b->s[(len - 1) & NAME_MASK] == '-')
		b->len = len - 1;
	bpf_loop(n_capture_names, name_step, NULL, 0);
	return b->hit;
}

static __always_inline void capture_start(__u32 tgid, __u64 start_boot)
{
	struct jcw_capture c = {.start_boot = start_boot};
	c.left[0] = capture_bytes[0];
	c.left[1] = capture_bytes[1];
	bpf_map_update_elem(&capture, &tgid, &c, BPF_ANY);
}

/* A process inherits its flag (with a fresh budget) at fork; a new image keeps it. Otherwise the
 * comm (name passed to exec) or the mapped file's name decides. */
static __always_inline void capture_on_exec(struct task_struct *task, __u32 tgid, __u64 start_boot,
					    const unsigned char *exe_name)
{
	if (!capture_on())
		return;
	struct jcw_capture *cur = bpf_map_lookup_elem(&capture, &tgid);
	if (cur && cur->start_boot == start_boot)
		return;
	struct name_buf *b = get_name_buf();
	if (!b)
		return;
	bool hit = capture_match(b, bpf_core_read_str(b->s, JCW_COMM_LEN, &task->comm));
	if (!hit && exe_name)
		hit = capture_match(b, bpf_probe_read_kernel_str(b->s, JCW_EXE_MATCH_LEN, exe_name));
	if (hit)
		capture_start(tgid, start_boot);
	else if (cur) /* a pid reused after a missed exit */
		bpf_map_delete_elem(&capture, &tgid);
}

static __always_inline void capture_on_fork(__u32 ptgid, __u32 ctgid, __u64 child_start)
{
	if (!capture_on() || !bpf_map_lookup_elem(&capture, &ptgid))
		return;
	capture_start(ctgid, child_start);
}

static __always_inline void capture_on_exit(__u32 tgid, __u32 pid)
{
	if (!capture_on())
		return;
	struct jcw_capture *c = bpf_map_lookup_elem(&capture, &tgid);
	if (!c)
		return;
	if (c->dropped[0] || c->dropped[1]) {
		struct jcw_output_end_event *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
		if (e) {
			e->type = JCW_OUTPUT_END;
			e->pid = pid;
			e->ts_boot = bpf_ktime_get_boot_ns();
			e->start_boot = c->start_boot;
			e->tgid = tgid;
			e->_pad = 0;
			e->captured[0] = c->captured[0];
			e->captured[1] = c->captured[1];
			e->dropped[0] = c->dropped[0];
			e->dropped[1] = c->dropped[1];
			bpf_ringbuf_submit(e, rb_flags());
		} else {
			count_lost(JCW_OUTPUT_END);
		}
	}
	bpf_map_delete_elem(&capture, &tgid);
}

static __always_inline struct jcw_output_event *get_out_scratch(void)
{
	__u32 cpu = bpf_get_smp_processor_id();
	return bpf_map_lookup_elem(&out_scratch, &cpu);
}

/* The flag of this thread group for fd, or NULL: the cheap path every write on the node takes. */
static __always_inline struct jcw_capture *capture_of(__u64 fd, __u32 *idx)
{
	if (fd == 2)
		*idx = 1;
	else if (fd == 1)
		*idx = 0;
	else
		return NULL;
	if (!capture_bytes[*idx & 1])
		return NULL;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	return bpf_map_lookup_elem(&capture, &tgid);
}

static __always_inline struct jcw_output_event *out_begin(__u64 fd, struct jcw_capture *c)
{
	struct jcw_output_event *ev = get_out_scratch();
	if (!ev)
		return NULL;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	ev->type = JCW_OUTPUT;
	ev->fd = fd;
	ev->ts_boot = bpf_ktime_get_boot_ns();
	ev->start_boot = c->start_boot;
	ev->pid = (__u32)pid_tgid;
	ev->tgid = pid_tgid >> 32;
	ev->count = 0;
	ev->len = 0;
	ev->_pad = 0;
	return ev;
}

/* Budget bookkeeping and submission once data[] holds ev->len bytes of ev->count asked. */
static __always_inline void out_end(struct jcw_output_event *ev, struct jcw_capture *c, __u32 idx)
{
	__u32 len = ev->len;
	__u32 asked = ev->count;
	idx &= 1;
	if (len > c->left[idx])
		len = c->left[idx];
	c->left[idx] -= len;
	c->captured[idx] += len;
	if (asked > len)
		__sync_fetch_and_add(&c->dropped[idx], asked - len);
	if (len == 0)
		return;
	barrier_var(len);
	if (bpf_ringbuf_output(&rb, ev, JCW_OUTPUT_HDR_SZ + (len & (2 * JCW_OUTPUT_MAX - 1)), rb_flags()))
		count_lost(JCW_OUTPUT);
}

SEC("tp/syscalls/sys_enter_write")
int enter_write(struct trace_event_raw_sys_enter *ctx)
{
	__u32 idx;
	struct jcw_capture *c = capture_of(ctx->args[0], &idx);
	if (!c)
		return 0;
	__u64 count = ctx->args[2];
	__u32 asked = count > 0xffffffffULL ? 0xffffffff : count;
	if (c->left[idx & 1] == 0) { /* over budget: count only */
		__sync_fetch_and_add(&c->dropped[idx & 1], asked);
		return 0;
	}
	struct jcw_output_event *ev = out_begin(ctx->args[0], c);
	if (!ev)
		return 0;
	ev->count = asked;
	__u32 n = asked;
	if (n > c->left[idx & 1])
		n = c->left[idx & 1];
	if (n > JCW_OUTPUT_MAX)
		n = JCW_OUTPUT_MAX;
	if (n && bpf_probe_read_user(ev->data, ((n - 1) & (JCW_OUTPUT_MAX - 1)) + 1, (void *)ctx->args[1]))
		n = 0;
	ev->len = n;
	out_end(ev, c, idx);
	return 0;
}

struct iov_ctx {
	__u64 iov;
	__u64 cnt;
};

/* Cursor (len), bytes asked (count) and budget (left) live in the map value, as for the path walks. */
static long iov_step(__u32 i, void *data)
{
	struct iov_ctx *x = data;
	if (i >= x->cnt)
		return 1;
	struct iovec v;
	if (bpf_probe_read_user(&v, sizeof(v), (void *)(x->iov + i * sizeof(v))))
		return 1;
	struct jcw_output_event *ev = get_out_scratch();
	if (!ev)
		return 1;
	__u64 asked = (__u64)ev->count + v.iov_len;
	ev->count = asked > 0xffffffffULL ? 0xffffffff : asked;
	__u32 off = ev->len;
	if (off >= JCW_OUTPUT_MAX)
		return 0;
	__u64 n = JCW_OUTPUT_MAX - off;
	if (n > ev->left)
		n = ev->left;
	if (n > v.iov_len)
		n = v.iov_len;
	if (n == 0)
		return 0;
	barrier_var(off);
	if (bpf_probe_read_user(&ev->data[off & (JCW_OUTPUT_MAX - 1)], ((n - 1) & (JCW_OUTPUT_MAX - 1)) + 1,
				v.iov_base))
		return 1;
	ev->len = off + n;
	ev->left -= n;
	return 0;
}

SEC("tp/syscalls/sys_enter_writev")
int enter_writev(struct trace_event_raw_sys_enter *ctx)
{
	__u32 idx;
	struct jcw_capture *c = capture_of(ctx->args[0], &idx);
	if (!c)
		return 0;
	struct jcw_output_event *ev = out_begin(ctx->args[0], c);
	if (!ev)
		return 0;
	ev->left = c->left[idx & 1];
	struct iov_ctx x = {.iov = ctx->args[1], .cnt = ctx->args[2]};
	bpf_loop(JCW_IOV_MAX, iov_step, &x, 0);
	out_end(ev, c, idx);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 old = old_pid;
	bpf_map_delete_elem(&pending, &old);

	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct jcw_exec_event *ev = get_scratch();
	if (!ev)
		return 0;
	clear_header(ev);
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (!allowed(task, tgid, ev->nodename))
		return 0;
	ev->type = JCW_EXEC;
	ev->old_pid = old;
	fill_task(ev, task);

	/* argv of the new image: arg_start..arg_end (the environment follows). */
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	unsigned long as = BPF_CORE_READ(mm, arg_start), ae = BPF_CORE_READ(mm, arg_end);
	__u32 full = ae > as ? ae - as : 0;
	__u32 len = full;
	if (len > JCW_ARGV_MAX) {
		len = JCW_ARGV_MAX;
		ev->flags |= JCW_F_ARGV_TRUNC;
	}
	/* (len-1) & mask + 1 keeps [1, JCW_ARGV_MAX] provable for the verifier. */
	if (len && bpf_probe_read_user(ev->data, ((len - 1) & (JCW_ARGV_MAX - 1)) + 1, (void *)as)) {
		ev->flags |= JCW_F_ARGV_FAULT;
		len = 0;
	}
	ev->argv_len = len;
	ev->args_size = full;
	ev->argc = BPF_CORE_READ(bprm, argc);
	__u32 off = len;

	long n = bpf_probe_read_kernel_str(data_at(ev, off), JCW_FILENAME_MAX,
					   BPF_CORE_READ(bprm, filename));
	if (n > 0) {
		ev->filename_len = n;
		off += n;
	}
	const char *interp = BPF_CORE_READ(bprm, interp);
	n = bpf_probe_read_kernel_str(data_at(ev, off), JCW_INTERP_MAX, interp);
	if (n > 0) {
		ev->interp_len = n;
		off += n;
	}

	/* The image actually mapped (interpreter for scripts): inode/dev/name. */
	struct file *exe = BPF_CORE_READ(mm, exe_file);
	const unsigned char *exe_name = NULL;
	if (exe) {
		ev->ino = BPF_CORE_READ(exe, f_inode, i_ino);
		ev->dev = BPF_CORE_READ(exe, f_inode, i_sb, s_dev);
		exe_name = BPF_CORE_READ(exe, f_path.dentry, d_name.name);
		n = bpf_probe_read_kernel_str(data_at(ev, off), JCW_EXE_NAME_MAX, exe_name);
		if (n > 0) {
			ev->exe_name_len = n;
			off += n;
		}
	}
	fill_paths(ev, task, off);
	submit_exec(ev);
	capture_on_exec(task, tgid, ev->start_boot, exe_name);
	return 0;
}

/* ---- failed execs: remember the user pointers at entry, report when ret < 0 ---- */

static __always_inline int save_pending(__u64 filename, __u64 argv)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pending_exec pe = {.filename = filename, .argv = argv};
	bpf_map_update_elem(&pending, &tid, &pe, BPF_ANY);
	return 0;
}

SEC("tp/syscalls/sys_enter_execve")
int enter_execve(struct trace_event_raw_sys_enter *ctx)
{
	return save_pending(ctx->args[0], ctx->args[1]);
}

SEC("tp/syscalls/sys_enter_execveat")
int enter_execveat(struct trace_event_raw_sys_enter *ctx)
{
	return save_pending(ctx->args[1], ctx->args[2]);
}

struct argv_ctx {
	__u64 argv;
};

/* Cursor and argc kept in the map value, as for the path walks. */
static long argv_step(__u32 i, void *data)
{
	struct argv_ctx *a = data;
	const char *arg = NULL;
	if (bpf_probe_read_user(&arg, sizeof(arg), (void *)(a->argv + i * sizeof(void *))) || !arg)
		return 1;
	struct jcw_exec_event *ev = get_scratch();
	if (!ev)
		return 1;
	__u32 off = ev->data_len;
	if (off + JCW_NAME_CHUNK > JCW_ARGV_MAX || i == JCW_FAILED_ARGS_MAX - 1) {
		ev->flags |= JCW_F_ARGV_TRUNC;
		return 1;
	}
	long n = bpf_probe_read_user_str(data_at(ev, off), JCW_NAME_CHUNK, arg);
	if (n <= 0)
		return 1;
	ev->data_len = off + n;
	ev->argc++;
	return 0;
}

static __always_inline int on_exec_exit(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pending_exec *pp = bpf_map_lookup_elem(&pending, &tid);
	if (!pp)
		return 0;
	struct pending_exec pe = *pp;
	bpf_map_delete_elem(&pending, &tid);
	if (ret >= 0)
		return 0;

	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct jcw_exec_event *ev = get_scratch();
	if (!ev)
		return 0;
	clear_header(ev);
	if (!allowed(task, bpf_get_current_pid_tgid() >> 32, ev->nodename))
		return 0;
	ev->type = JCW_EXEC_FAILED;
	ev->ret = ret;
	ev->old_pid = tid;
	fill_task(ev, task);

	/* Best effort argv: per argument at most JCW_NAME_CHUNK bytes. */
	struct argv_ctx a = {.argv = pe.argv};
	ev->data_len = 0;
	if (pe.argv)
		bpf_loop(JCW_FAILED_ARGS_MAX, argv_step, &a, 0);
	__u32 off = ev->data_len;
	if (off > JCW_ARGV_MAX)
		off = JCW_ARGV_MAX;
	ev->argv_len = off;
	ev->args_size = off;

	long n = bpf_probe_read_user_str(data_at(ev, off), JCW_FILENAME_MAX,
					 (void *)pe.filename);
	if (n > 0) {
		ev->filename_len = n;
		off += n;
	}
	fill_paths(ev, task, off);
	submit_exec(ev);
	return 0;
}

SEC("tp/syscalls/sys_exit_execve")
int exit_execve(struct trace_event_raw_sys_exit *ctx)
{
	return on_exec_exit(ctx->ret);
}

SEC("tp/syscalls/sys_exit_execveat")
int exit_execveat(struct trace_event_raw_sys_exit *ctx)
{
	return on_exec_exit(ctx->ret);
}

/* ---- exit: once per thread group, from whichever thread dies last ---- */

static __always_inline void emit_exit(struct task_struct *task)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	capture_on_exit(tgid, (__u32)pid_tgid);
	if (bpf_map_lookup_elem(&skip_tgids, &tgid)) {
		bpf_map_delete_elem(&skip_tgids, &tgid);
		return;
	}
	char nodename[JCW_NODENAME_LEN];
	if (!allowed(task, tgid, nodename))
		return;

	struct jcw_exit_event *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e) {
		count_lost(JCW_EXIT);
		return;
	}
	struct task_struct *leader = BPF_CORE_READ(task, group_leader);
	e->type = JCW_EXIT;
	/* Raw wait status of the last thread: code << 8 | core 0x80 | signal. */
	e->exit_raw = BPF_CORE_READ(task, exit_code);
	e->ts_boot = bpf_ktime_get_boot_ns();
	e->start_boot = BPF_CORE_READ(leader, start_boottime);
	e->pid = (__u32)pid_tgid;
	e->tgid = tgid;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->_pad = 0;
	bpf_core_read_str(e->comm, sizeof(e->comm), &leader->comm);
	bpf_ringbuf_submit(e, rb_flags());
}

SEC("tp/sched/sched_process_exit")
int handle_exit(struct trace_event_raw_sched_process_exit *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	bool dead;
	if (bpf_core_field_exists(ctx->group_dead))
		dead = ctx->group_dead;
	else /* older kernels: may fire twice in a race, the consumer dedups */
		dead = BPF_CORE_READ(task, signal, live.counter) == 0;
	if (dead)
		emit_exit(task);
	return 0;
}

/* Fallback when tracefs is unavailable (classic tracepoints need it to attach).
 * live is decremented before the tracepoint, so 0 means last thread; two threads
 * exiting at once may both see 0 (the consumer dedups by tgid + start). */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit_btf, struct task_struct *p)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	if (BPF_CORE_READ(task, signal, live.counter) == 0)
		emit_exit(task);
	return 0;
}

/* ---- fork: new thread groups only (threads share the parent's tgid) ---- */

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 cpid = BPF_CORE_READ(child, pid), ctgid = BPF_CORE_READ(child, tgid);
	if (cpid != ctgid)
		return 0;
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	if (bpf_map_lookup_elem(&skip_tgids, &ptgid)) {
		if (skip_descendants) {
			__u8 one = 1;
			bpf_map_update_elem(&skip_tgids, &ctgid, &one, BPF_ANY);
		}
		return 0;
	}
	capture_on_fork(ptgid, ctgid, BPF_CORE_READ(child, start_boottime));
	char nodename[JCW_NODENAME_LEN];
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	if (!allowed(task, ptgid, nodename))
		return 0;

	struct jcw_fork_event *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e) {
		count_lost(JCW_FORK);
		return 0;
	}
	e->type = JCW_FORK;
	e->parent_pid = BPF_CORE_READ(parent, pid);
	e->ts_boot = bpf_ktime_get_boot_ns();
	e->child_start_boot = BPF_CORE_READ(child, start_boottime);
	e->parent_tgid = ptgid;
	e->child_tgid = ctgid;
	bpf_core_read_str(e->comm, sizeof(e->comm), &parent->comm);
	bpf_ringbuf_submit(e, rb_flags());
	return 0;
}
