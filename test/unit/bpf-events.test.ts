import { describe, it, expect } from 'vitest';
import { Buffer } from 'node:buffer';
import { parseBpfLine, isParseError, restoreBytes, type BpfEvent } from '../../receiver/exec/events.ts';

// Lines recorded from bpf/build/jcw-exec on the dev VM (kernel 6.18, hybrid cgroups).
const HELLO = '{"v":1,"type":"hello","loader_version":"0.1.0","bpf_version":1,"kernel":"6.18.44-fc-v769","pid":5197,"ncpus":2,"ringbuf_bytes":8388608,"drain_ms":100,"stats_ms":1000,"boot_offset_ns":"1795540940521427395","programs":{"sched_process_exec":true,"sched_process_exit":true,"sched_process_exit_btf":false,"sched_process_fork":true,"sys_enter_execve":true,"sys_exit_execve":true,"sys_enter_execveat":true,"sys_exit_execveat":true},"filters":{"self_pids":[5197],"skip_descendants":false,"hostname_prefixes":["jcode-os-"],"cgroup_ids":["5546"]}}';
const EXEC = '{"v":1,"type":"exec","ts_boot_ns":"3172316909113","time_unix_nano":"1795544112838336508","pid":7616,"tgid":7616,"old_pid":7616,"ppid":7611,"vpid":7616,"uid":0,"gid":0,"euid":0,"comm":"echo","filename":"/bin/echo","interp":"/bin/echo","exe_name":"echo","ino":"247141","dev":65024,"dev_major":254,"dev_minor":0,"argv":["/bin/echo","\\u00ff\\u00fe","caf\\u00c3\\u00a9","tab\\u0009here","q\\"b\\\\s"],"argc":5,"args_size":34,"argv_truncated":false,"cwd":"/tmp","cwd_truncated":false,"cgroup_id":"1","cgroup_path":"/","memcg_v1_id":"2939","memcg_v1_path":"/process_api/1cffc43a0cc4c085b9d567ed2e341ec5","pidns":4026531836,"mntns":4026531832,"utsns":4026531838,"nodename":"vm","start_boot_ns":"3172316594197","flags":32}';
const EXEC_FAILED = '{"v":1,"type":"exec_failed","ts_boot_ns":"2896944823044","time_unix_nano":"1795543837466250438","pid":5201,"tgid":5201,"old_pid":5201,"ppid":5200,"vpid":5201,"uid":0,"gid":0,"euid":0,"comm":"bash","filename":"./a.out","errno":2,"errno_name":"ENOENT","argv":["./a.out"],"argc":1,"args_size":8,"argv_truncated":false,"cwd":"/tmp","cwd_truncated":false,"cgroup_id":"1","cgroup_path":"/","memcg_v1_id":null,"memcg_v1_path":null,"pidns":4026531836,"mntns":4026531832,"utsns":4026531838,"nodename":"vm","start_boot_ns":"2896944732542","flags":0}';
const EXIT_SEGV = '{"v":1,"type":"exit","ts_boot_ns":"3172319714974","time_unix_nano":"1795544112841142369","pid":7617,"tgid":7617,"ppid":7611,"comm":"sh","exit_raw":11,"exit_code":0,"signal":11,"core_dumped":false,"start_boot_ns":"3172318786565","start_unix_nano":"1795544112840213960","duration_ns":928409}';
const FORK = '{"v":1,"type":"fork","ts_boot_ns":"2896943247607","time_unix_nano":"1795543837464675001","parent_pid":5136,"parent_tgid":5136,"child_tgid":5199,"comm":"bash","child_start_boot_ns":"2896943239456"}';
const STATS = '{"v":1,"type":"stats","ts_boot_ns":"3172822796747","time_unix_nano":"1795544113344224141","lost":{"exec":3,"exec_failed":0,"exit":1,"fork":0},"delivered":{"exec":5,"exec_failed":0,"exit":5,"fork":5},"lost_total":4,"delivered_total":15}';

function ok(line: string): BpfEvent {
  const ev = parseBpfLine(line);
  if (isParseError(ev)) throw new Error(ev.message);
  return ev;
}

describe('parseBpfLine', () => {
  it('parses hello with u64 strings as bigint', () => {
    const ev = ok(HELLO);
    expect(ev.type).toBe('hello');
    if (ev.type !== 'hello') return;
    expect(ev.bootOffsetNs).toBe(1795540940521427395n);
    expect(ev.programs.sched_process_exec).toBe(true);
    expect(ev.programs.sched_process_exit_btf).toBe(false);
    expect(ev.filters).toEqual({ selfPids: [5197], skipDescendants: false, hostnamePrefixes: ['jcode-os-'], cgroupIds: [5546n] });
    expect(ev.ringbufBytes).toBe(8 << 20);
  });

  it('parses exec and restores non-UTF-8 argv bytes', () => {
    const ev = ok(EXEC);
    if (ev.type !== 'exec') throw new Error(ev.type);
    expect(ev.tsBootNs).toBe(3172316909113n);
    expect(ev.timeUnixNano).toBe(1795544112838336508n);
    expect(ev.argvRaw[1]).toEqual(Buffer.from([0xff, 0xfe]));
    expect(ev.argvRaw[2]).toEqual(Buffer.from('café', 'utf8'));
    expect(ev.argv[2]).toBe('café');
    expect(ev.argv[3]).toBe('tab\there');
    expect(ev.argv[4]).toBe('q"b\\s');
    expect(ev.argv[1]).toBe('\ufffd\ufffd'); // invalid UTF-8 shown as replacement chars
    expect(ev).toMatchObject({
      pid: 7616, tgid: 7616, oldPid: 7616, ppid: 7611, comm: 'echo', filename: '/bin/echo', exeName: 'echo',
      ino: 247141n, dev: 65024, devMajor: 254, devMinor: 0, argc: 5, argsSize: 34, argvTruncated: false,
      cwd: '/tmp', cgroupId: 1n, memcgV1Id: 2939n, memcgV1Path: '/process_api/1cffc43a0cc4c085b9d567ed2e341ec5',
      nodename: 'vm', startBootNs: 3172316594197n,
    });
  });

  it('parses exec_failed with null v1 memcg', () => {
    const ev = ok(EXEC_FAILED);
    if (ev.type !== 'exec_failed') throw new Error(ev.type);
    expect(ev).toMatchObject({ errno: 2, errnoName: 'ENOENT', filename: './a.out', argv: ['./a.out'], memcgV1Id: null, memcgV1Path: null });
  });

  it('parses exit with signal split', () => {
    const ev = ok(EXIT_SEGV);
    if (ev.type !== 'exit') throw new Error(ev.type);
    expect(ev).toMatchObject({ exitRaw: 11, exitCode: 0, signal: 11, coreDumped: false, durationNs: 928409, tgid: 7617 });
    expect(ev.startBootNs + BigInt(ev.durationNs)).toBe(ev.tsBootNs);
  });

  it('parses fork and stats', () => {
    const f = ok(FORK);
    expect(f).toMatchObject({ type: 'fork', parentTgid: 5136, childTgid: 5199, childStartBootNs: 2896943239456n });
    const s = ok(STATS);
    expect(s).toMatchObject({ type: 'stats', lost: { exec: 3, exec_failed: 0, exit: 1, fork: 0 }, lostTotal: 4, deliveredTotal: 15 });
  });

  it('parses the loader error line', () => {
    expect(ok('{"v":1,"type":"error","message":"cannot load BPF programs: missing capability CAP_BPF (or CAP_SYS_ADMIN)"}'))
      .toEqual({ v: 1, type: 'error', message: 'cannot load BPF programs: missing capability CAP_BPF (or CAP_SYS_ADMIN)' });
  });

  it.each([
    ['not JSON', '{"v":1,'],
    ['not an object', '[1,2]'],
    ['wrong version', '{"v":2,"type":"exec"}'],
    ['unknown type', '{"v":1,"type":"nope"}'],
    ['missing field', FORK.replace('"child_tgid":5199,', '')],
    ['wrong field type', EXIT_SEGV.replace('"signal":11', '"signal":"11"')],
    ['bad u64 string', FORK.replace('"2896943239456"', '"12x"')],
    ['non-string argv', EXEC.replace('"argv":["/bin/echo"', '"argv":[1')],
  ])('returns a ParseError for %s', (_name, line) => {
    const r = parseBpfLine(line);
    expect(isParseError(r)).toBe(true);
    if (isParseError(r)) expect(r.line).toBe(line);
  });
});

describe('restoreBytes', () => {
  it('keeps ASCII and non-latin1 strings as they are', () => {
    expect(restoreBytes('abc')).toEqual({ text: 'abc', raw: Buffer.from('abc') });
    expect(restoreBytes('€').text).toBe('€');
  });
});
