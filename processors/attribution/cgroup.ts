// cgroup path -> pod UID / container ID / runtime / QoS class, for the cgroup
// layouts of kubelet (systemd and cgroupfs drivers, v1 and v2), Docker and Podman.
// Pure string parsing; nothing here touches the filesystem.

export type ContainerRuntime = 'containerd' | 'cri-o' | 'docker' | 'podman';
export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

export interface CgroupInfo {
  containerId?: string;
  podUid?: string;
  runtime?: ContainerRuntime;
  qosClass?: QosClass;
}

const V1_CONTROLLERS = new Set([
  'memory', 'cpu', 'cpuacct', 'cpu,cpuacct', 'cpuacct,cpu', 'cpuset', 'blkio', 'devices', 'freezer',
  'net_cls', 'net_prio', 'net_cls,net_prio', 'perf_event', 'hugetlb', 'pids', 'rdma', 'misc',
  'systemd', 'name=systemd', 'unified',
]);

const UID_DASHED = /^[0-9a-f]{8}(?:[-_][0-9a-f]{4}){3}[-_][0-9a-f]{12}$/;
const HEX32 = /^[0-9a-f]{32}$/; // static pods: the config hash is the UID
const HEX64 = /^[0-9a-f]{64}$/;
// pod<uid> (cgroupfs) or kubepods[-qos]-pod<uid_>.slice (systemd)
const POD_COMPONENT = /(?:^|-)pod([0-9a-f_-]{32,36})(?:\.slice)?(?::|$)/;
// <runtime>-<64hex>.scope (systemd) or <runtime>-<64hex> (cgroupfs with a prefix)
const PREFIXED_CONTAINER = /^(cri-containerd|crio|docker|libpod)-([0-9a-f]{64})(?:\.scope)?$/;
// containerd with cgroupfs driver under a systemd slice: "...-pod<uid_>.slice:cri-containerd:<64hex>"
const COLON_CONTAINER = /:(cri-containerd|crio|docker):([0-9a-f]{64})$/;

const RUNTIMES: Record<string, ContainerRuntime> = {
  'cri-containerd': 'containerd',
  crio: 'cri-o',
  docker: 'docker',
  libpod: 'podman',
};

/** Strip "/sys/fs/cgroup[/<controller>]" and "/proc/<pid>/cgroup" line prefixes. */
function normalize(path: string): string[] {
  let p = path.trim();
  const line = /^\d+:[^:]*:(\/.*)$/.exec(p); // "4:memory:/kubepods/..." or "0::/..."
  if (line?.[1] !== undefined) p = line[1];
  const parts = p.split('/').filter((s) => s.length > 0);
  if (parts[0] === 'sys' && parts[1] === 'fs' && parts[2] === 'cgroup') {
    parts.splice(0, 3);
    if (parts.length > 0 && V1_CONTROLLERS.has(parts[0]!)) parts.shift();
  }
  return parts;
}

function podUidOf(component: string): string | undefined {
  const m = POD_COMPONENT.exec(component);
  if (!m) return undefined;
  const raw = m[1]!;
  if (UID_DASHED.test(raw)) return raw.replace(/_/g, '-');
  if (HEX32.test(raw)) return raw;
  return undefined;
}

function containerOf(
  parts: string[],
  i: number,
  colonOnly: boolean,
): { id: string; runtime?: ContainerRuntime } | undefined {
  const c = parts[i]!;
  const colon = COLON_CONTAINER.exec(c);
  if (colon) return { id: colon[2]!, runtime: RUNTIMES[colon[1]!] };
  if (colonOnly || c.startsWith('crio-conmon-')) return undefined; // conmon: CRI-O's monitor, not the container
  const m = PREFIXED_CONTAINER.exec(c);
  if (m) return { id: m[2]!, runtime: RUNTIMES[m[1]!] };
  if (HEX64.test(c)) {
    // plain Docker with the cgroupfs driver: /docker/<id>
    return { id: c, runtime: i > 0 && parts[i - 1] === 'docker' ? 'docker' : undefined };
  }
  return undefined;
}

function qosOf(component: string, prev: string | undefined): QosClass | undefined {
  const m = /^(?:kubelet-)?kubepods-(burstable|besteffort)\.slice$/.exec(component);
  const q = m?.[1] ?? (prev !== undefined && /^(?:kubelet-)?kubepods(?:\.slice)?$/.test(prev) ? component : undefined);
  if (q === 'burstable') return 'Burstable';
  if (q === 'besteffort') return 'BestEffort';
  return undefined;
}

export function parseCgroupPath(path: string): CgroupInfo {
  const parts = normalize(path);
  const out: CgroupInfo = {};

  // Innermost pod wins (kind/minikube nest a node container around kubepods).
  let podIdx = -1;
  for (let i = parts.length - 1; i >= 0; i--) {
    const uid = podUidOf(parts[i]!);
    if (uid) {
      out.podUid = uid;
      podIdx = i;
      break;
    }
  }

  // Innermost container; with a pod, only below it (a pod-level path has none).
  const leafCrioConmon = parts.length > 0 && parts[parts.length - 1]!.startsWith('crio-conmon-');
  if (!leafCrioConmon) {
    // i == podIdx only for "...-pod<uid>.slice:cri-containerd:<id>" (one component)
    for (let i = parts.length - 1; i >= Math.max(podIdx, 0); i--) {
      const c = containerOf(parts, i, i === podIdx);
      if (c) {
        out.containerId = c.id;
        if (c.runtime) out.runtime = c.runtime;
        break;
      }
    }
  }

  if (podIdx >= 0) {
    let kubepods = -1;
    for (let i = podIdx; i >= 0; i--) {
      if (/^(?:kubelet-)?kubepods(?:\.slice)?$/.test(parts[i]!)) {
        kubepods = i;
        break;
      }
    }
    for (let i = Math.max(kubepods, 0); i <= podIdx; i++) {
      const q = qosOf(parts[i]!, i > 0 ? parts[i - 1] : undefined);
      if (q) out.qosClass = q;
    }
    // systemd names carry the class in the pod slice itself (kubepods-<qos>-pod<uid>)
    const named = /^(?:kubelet-)?kubepods-(?:(burstable|besteffort)-)?pod/.exec(parts[podIdx]!);
    if (!out.qosClass && named) out.qosClass = named[1] ? qosOf(`kubepods-${named[1]}.slice`, undefined) : 'Guaranteed';
    // Guaranteed pods sit directly under kubepods.
    if (!out.qosClass && kubepods >= 0) out.qosClass = 'Guaranteed';
  }
  return out;
}

export interface PodLogDir {
  namespace: string;
  name: string;
  uid: string;
}

const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?$/;

/** kubelet's /var/log/pods/<namespace>_<name>_<uid> (a bare name or a full path).
 * Namespace and pod names cannot contain '_', so the split is unambiguous. */
export function parsePodLogDir(dir: string): PodLogDir | undefined {
  const base = dir.replace(/\/+$/, '').split('/').pop() ?? '';
  const parts = base.split('_');
  if (parts.length !== 3) return undefined;
  const [namespace, name, uid] = parts as [string, string, string];
  if (!DNS_LABEL.test(namespace) || !DNS_SUBDOMAIN.test(name)) return undefined;
  if (!UID_DASHED.test(uid) && !HEX32.test(uid)) return undefined;
  return { namespace, name, uid };
}
