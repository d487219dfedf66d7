// Who ran a process: the pod (cgroup path → container ID and pod UID; UID → name and namespace) and the student
// (the pod host name pattern, else a cwd or argv path under the workspaces root). Everything needed is captured
// in the kernel at exec time: short-lived processes are gone before /proc could be read.
import path from 'node:path';
import type { Attributes } from '@opentelemetry/api';
import type { ExecEvent, ExecFailedEvent } from '../../receiver/exec/events.ts';
import type { WorkspaceLayout } from '../../receiver/files/layout.ts';
import { ATTR } from '../../telemetry/schema.ts';
import { parseCgroupPath } from './cgroup.ts';
import type { PodDirectory } from './pods.ts';

export interface Attribution {
  /** Resource attributes of the pod (empty outside Kubernetes). */
  readonly resource: Attributes;
  /** Student attributes (`edu.*`) and how they were found; empty when not a student context. */
  readonly attributes: Attributes;
  readonly student: boolean;
}

/** Compile a host name pattern: placeholders match no `-`, `*` matches anything. */
export function hostnamePattern(pattern: string): (hostname: string) => Attributes | undefined {
  const names: string[] = [];
  const src = pattern.replace(/\{(course|section|student)\}|\*|[.+?^${}()|[\]\\]/g, (m, name: string | undefined) => {
    if (name) {
      names.push(name);
      return '([^-]+)';
    }
    return m === '*' ? '.*' : `\\${m}`;
  });
  const re = new RegExp(`^${src}$`);
  return (hostname) => {
    const m = re.exec(hostname);
    if (!m) return undefined;
    const get = (n: string) => m[names.indexOf(n) + 1];
    const a: Attributes = {};
    if (names.includes('course')) a[ATTR.EDU_COURSE.name] = get('course');
    if (names.includes('section')) a[ATTR.EDU_SECTION.name] = get('section');
    if (names.includes('student')) a[ATTR.EDU_STUDENT_ID.name] = get('student');
    return a;
  };
}

export class Attributor {
  private readonly matchHost: (h: string) => Attributes | undefined;

  constructor(
    private readonly layout: WorkspaceLayout,
    hostnamePatternText: string,
    private readonly pods: PodDirectory,
  ) {
    this.matchHost = hostnamePattern(hostnamePatternText);
  }

  attribute(ev: ExecEvent | ExecFailedEvent): Attribution {
    const resource = this.pod(ev);
    const byHost = this.matchHost(ev.nodename);
    if (byHost) return { resource, student: true, attributes: { ...byHost, ...this.assignmentFrom(ev), [ATTR.JCODE_ATTRIBUTION.name]: 'hostname' } };
    const byCwd = this.fromPath(ev.cwd, true);
    if (byCwd) return { resource, student: true, attributes: { ...byCwd, [ATTR.JCODE_ATTRIBUTION.name]: 'cwd' } };
    for (const arg of ev.argv.slice(1)) {
      if (!arg.includes('/')) continue;
      const found = this.fromPath(path.resolve(ev.cwd || '/', arg), false);
      if (found) return { resource, student: true, attributes: { ...found, [ATTR.JCODE_ATTRIBUTION.name]: 'argv' } };
    }
    return { resource, student: false, attributes: {} };
  }

  /** In a matching pod, the assignment still comes from the path when the pod mounts the same layout. */
  private assignmentFrom(ev: ExecEvent | ExecFailedEvent): Attributes {
    const loc = this.fromPath(ev.cwd, true);
    return loc?.[ATTR.EDU_ASSIGNMENT.name] ? { [ATTR.EDU_ASSIGNMENT.name]: loc[ATTR.EDU_ASSIGNMENT.name] } : {};
  }

  private fromPath(p: string, isDir: boolean): Attributes | undefined {
    if (!p) return undefined;
    const loc = isDir ? this.layout.locateDir(p) : this.layout.locate(p);
    if (loc.kind !== 'file') return undefined;
    const { student, assignment } = loc.location;
    const a: Attributes = {
      [ATTR.EDU_COURSE.name]: student.course,
      [ATTR.EDU_SECTION.name]: student.section,
      [ATTR.EDU_STUDENT_ID.name]: student.studentId,
    };
    if (assignment) a[ATTR.EDU_ASSIGNMENT.name] = assignment;
    return a;
  }

  private pod(ev: ExecEvent | ExecFailedEvent): Attributes {
    let info = parseCgroupPath(ev.cgroupPath);
    if (!info.podUid && ev.memcgV1Path) info = parseCgroupPath(ev.memcgV1Path);
    const r: Attributes = {};
    if (info.containerId) r[ATTR.CONTAINER_ID.name] = info.containerId;
    if (!info.podUid) return r;
    r[ATTR.K8S_POD_UID.name] = info.podUid;
    const dir = this.pods.lookup(info.podUid);
    // In Kubernetes a pod's host name is its name unless spec.hostname overrides it.
    r[ATTR.K8S_POD_NAME.name] = dir?.name ?? ev.nodename;
    if (dir) r[ATTR.K8S_NAMESPACE_NAME.name] = dir.namespace;
    return r;
  }
}
