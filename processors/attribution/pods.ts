// Pod name and namespace by pod UID, from the kubelet's /var/log/pods/<namespace>_<name>_<uid> directories on
// the node: no API server needed. Re-read when an unknown UID shows up, at most once a second.
import { readdirSync } from 'node:fs';
import { parsePodLogDir, type PodLogDir } from './cgroup.ts';

export class PodDirectory {
  private byUid = new Map<string, PodLogDir>();
  private lastRead = -Infinity;

  constructor(private readonly dir: string, private readonly now: () => number = () => performance.now()) {}

  lookup(uid: string): PodLogDir | undefined {
    const hit = this.byUid.get(uid);
    if (hit) return hit;
    if (this.now() - this.lastRead < 1000) return undefined;
    this.refresh();
    return this.byUid.get(uid);
  }

  private refresh(): void {
    this.lastRead = this.now();
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return; // not a Kubernetes node (or not mounted): names come from the host name alone
    }
    const next = new Map<string, PodLogDir>();
    for (const n of names) {
      const p = parsePodLogDir(n);
      // The cgroup path spells the UID with dashes or underscores depending on the driver.
      if (p) next.set(p.uid.replace(/_/g, '-'), p);
    }
    this.byUid = next;
  }
}
