"""Assertions for bpf/test/run.sh over the loaders' NDJSON (argv: work dir).
Prints "ok NAME" / "FAIL NAME: detail" lines and informational lines."""
import json
import os
import sys

W = sys.argv[1]
E = os.environ
RUN = E["RUN"]


def load(name):
    path = os.path.join(W, name + ".ndjson")
    out, bad = [], 0
    if not os.path.exists(path):
        return out, bad
    with open(path, "rb") as f:
        for raw in f:
            try:
                ev = json.loads(raw)
                assert ev["v"] == 1 and isinstance(ev["type"], str)
                out.append(ev)
            except Exception:
                bad += 1
    return out, bad


def check(name, cond, detail=""):
    print(("ok " + name) if cond else ("FAIL %s: %s" % (name, detail or "assertion failed")))


def args_of(ev):
    return ev.get("argv", [])


def find_exec(evs, marker, typ="exec", filename=None):
    return [e for e in evs if e["type"] == typ and marker in args_of(e)
            and (filename is None or e["filename"] == filename)]


def exits_of(evs, tgid, start=None):
    return [e for e in evs if e["type"] == "exit" and e["tgid"] == tgid
            and (start is None or e["start_boot_ns"] == start)]


def last_stats(evs):
    st = [e for e in evs if e["type"] == "stats"]
    return st[-1] if st else None


main, bad = load("main")
check("ndjson-valid", bad == 0 and len(main) > 0, "%d unparsable lines" % bad)
hello = [e for e in main if e["type"] == "hello"]
check("hello", len(hello) == 1 and hello[0]["programs"]["sched_process_exec"]
      and hello[0]["ringbuf_bytes"] == 8 << 20, str(hello[:1]))

# argv with 1,000 arguments, and cwd
ex = find_exec(main, RUN + "-argc1000")
if ex:
    e = ex[0]
    want = ["/bin/echo", RUN + "-argc1000"] + [str(i) for i in range(1, 1000)]
    check("argv-1000-args", e["argv"] == want and e["argc"] == 1001 and not e["argv_truncated"]
          and e["args_size"] == sum(len(a) + 1 for a in want), "argc=%s len=%d" % (e["argc"], len(e["argv"])))
    check("cwd", e["cwd"] == os.path.join(W, "deep/dir"), e["cwd"])
    check("exe-inode-dev", e["ino"] == E["ECHO_INO"] and str(e["dev"]) == E["ECHO_DEV"],
          "ino %s/%s dev %s/%s" % (e["ino"], E["ECHO_INO"], e["dev"], E["ECHO_DEV"]))
    check("exec-ids", e["pid"] == e["tgid"] == e["old_pid"] and e["ppid"] > 0 and e["comm"] == "echo"
          and e["filename"] == "/bin/echo" and int(e["time_unix_nano"]) > 1.5e18, str(e)[:300])
else:
    check("argv-1000-args", False, "exec not seen")

# 100 KiB argv: 16 KiB captured, full length explicit
ex = find_exec(main, RUN + "-big")
if ex:
    e = ex[0]
    full = len("/bin/true") + 1 + len(RUN + "-big") + 1 + 102400 + 1
    captured = sum(len(a) + 1 for a in e["argv"][:-1]) + len(e["argv"][-1])
    check("argv-100k-truncated", e["argv_truncated"] and e["args_size"] == full and captured == 16384
          and e["argc"] == 3, "size=%s captured=%d argc=%s" % (e["args_size"], captured, e["argc"]))
else:
    check("argv-100k-truncated", False, "exec not seen")

# non-UTF-8 / control / quote bytes survive via latin1
ex = find_exec(main, RUN + "-bytes")
if ex:
    got = [a.encode("latin1") for a in ex[0]["argv"][2:]]
    want = [b"\xff\xfe", b"caf\xc3\xa9", b"tab\there", b'quote"back\\slash']
    check("argv-raw-bytes", got == want, repr(got))
else:
    check("argv-raw-bytes", False, "exec not seen")

# exec from a non-leader thread: pid == tgid afterwards, old_pid = the thread
ex = find_exec(main, RUN + "-threadexec", filename="/bin/echo")
if ex:
    e = ex[0]
    ex_exits = exits_of(main, e["tgid"])
    check("thread-exec", e["pid"] == e["tgid"] and e["old_pid"] != e["pid"] and len(ex_exits) == 1,
          "pid=%s old=%s exits=%d" % (e["pid"], e["old_pid"], len(ex_exits)))
else:
    check("thread-exec", False, "exec not seen")

# leader exits first, worker exit(7): one exit, code 7, from the non-leader
ex = find_exec(main, RUN + "-threadexit")
if ex:
    xs = exits_of(main, ex[0]["tgid"])
    ok = len(xs) == 1 and xs[0]["exit_code"] == 7 and xs[0]["signal"] == 0 and xs[0]["pid"] != xs[0]["tgid"]
    check("thread-exit-once", ok, str(xs))
    forks = [f for f in main if f["type"] == "fork" and f["parent_tgid"] == ex[0]["tgid"]]
    check("threads-not-forks", not forks, str(forks[:2]))
else:
    check("thread-exit-once", False, "exec not seen")


def exit_check(name, marker, filename=None, **want):
    ex = find_exec(main, marker, filename=filename)
    xs = exits_of(main, ex[0]["tgid"], ex[0]["start_boot_ns"]) if ex else []
    good = len(xs) == 1 and all(xs[0][k] == v for k, v in want.items())
    check(name, good, "exec=%d exits=%s" % (len(ex), xs))
    return xs


exit_check("segv-signal-11", RUN + "-segv", filename=E["HELPER"], signal=11, exit_code=0)
xs = exit_check("exit-code-3", RUN + "-exit3", exit_code=3, signal=0, core_dumped=False)
if xs:
    x = xs[0]
    check("exit-duration", x["duration_ns"] > 0 and int(x["start_boot_ns"]) + x["duration_ns"] == int(x["ts_boot_ns"]), str(x))
    forks = [f for f in main if f["type"] == "fork" and f["child_tgid"] == x["tgid"]]
    check("fork-link", len(forks) == 1 and forks[0]["parent_tgid"] == int(E["SCRIPT_PID"])
          and forks[0]["child_start_boot_ns"] == x["start_boot_ns"], str(forks))

kx = exits_of(main, int(E["KPID"]))
check("kill-9-signal-9", len(kx) == 1 and kx[0]["signal"] == 9 and kx[0]["exit_code"] == 0, str(kx))

ex = find_exec(main, RUN + "-uts", filename="/bin/echo")
host_ns = [e["utsns"] for e in find_exec(main, RUN + "-exit3")]
check("uts-nodename", len(ex) == 1 and ex[0]["nodename"] == "jcode-os-1-202012180-abc"
      and host_ns and ex[0]["utsns"] != host_ns[0], str(ex)[:300])

fx = [e for e in main if e["type"] == "exec_failed" and e["filename"] == "./a.out" and e["cwd"] == W]
check("exec-failed-enoent", len(fx) == 1 and fx[0]["errno"] == 2 and fx[0]["errno_name"] == "ENOENT"
      and fx[0]["argv"] == ["./a.out"], str(fx)[:300])

me = int(E["MAIN"])
check("self-not-reported", not [e for e in main if e.get("tgid") == me or e.get("parent_tgid") == me])
st = last_stats(main)
check("stats-final", st is not None and st["lost_total"] == 0
      and st["delivered_total"] == sum(1 for e in main if e["type"] in ("exec", "exec_failed", "exit", "fork")), str(st))

# filters
host, _ = load("host")
hx = [e for e in host if e["type"] in ("exec", "exec_failed")]
check("filter-hostname", any(RUN + "-uts" in e["argv"] for e in hx)
      and all(e["nodename"].startswith("jcode-os-") for e in hx), "%d execs" % len(hx))
if E.get("CGID", "0") != "0":
    cg, _ = load("cg")
    cx = [e for e in cg if e["type"] in ("exec", "exec_failed")]
    check("filter-cgroup", any(RUN + "-cg" in e["argv"] for e in cx)
          and all(E["CGID"] in (e["cgroup_id"], e["memcg_v1_id"]) for e in cx), str(cx)[:300])
    mx = find_exec(main, RUN + "-cg", filename="/bin/echo")
    if mx:
        print("info cgroup exec: cgroup_path=%s memcg_v1_path=%s" % (mx[0]["cgroup_path"], mx[0]["memcg_v1_path"]))

# storm
storm, bad = load("storm")
n = int(E["STORM_N"])
st = last_stats(storm)
seen = sum(1 for e in storm if e["type"] == "exec" and e["argv"][1:] == ["noop", "storm"])
lost = st["lost"]["exec"] if st else -1
print("info storm: %d execs in 5 s, %d delivered, %d lost (stats %s)" % (n, seen, lost, st and st["delivered"]))
check("storm-accounted", st is not None and n > 0 and seen + lost >= n and bad == 0, "n=%d seen=%d lost=%d" % (n, seen, lost))

try:
    progs = json.load(open(os.path.join(W, "progs.json")))
    names = {"handle_exec", "handle_exit", "handle_fork", "enter_execve", "exit_execve"}
    # only the storm loader is running at that point (bpftool here lacks "pids")
    for p in progs:
        if p.get("name") in names and p.get("run_cnt"):
            print("info bpf cost %-16s %8d runs %7.2f us/run" % (p["name"], p["run_cnt"], p["run_time_ns"] / p["run_cnt"] / 1000))
except Exception as ex_:
    print("info no bpf stats: %s" % ex_)

loss, _ = load("loss")
st = last_stats(loss)
n = int(E["LOSS_N"])
seen = sum(1 for e in loss if e["type"] == "exec" and e["argv"][1:] == ["noop", "storm"])
lost = st["lost"]["exec"] if st else -1
print("info loss: %d execs with a 64 KiB ring and a stopped loader: %d delivered, %d lost" % (n, seen, lost))
check("loss-counted", st is not None and lost > 0 and seen + lost >= n, "n=%d seen=%d lost=%d" % (n, seen, lost))
