import { describe, it, expect } from 'vitest';
import { parseCgroupPath, parsePodLogDir, type CgroupInfo } from '../../processors/attribution/cgroup.ts';

const ID = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const ID2 = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
const UID = '0f7a1c2e-5b6d-4e8f-9a0b-1c2d3e4f5a6b';
const UID_ = UID.replace(/-/g, '_');
const STATIC = '6e3f6b1a2c9d8e7f0a1b2c3d4e5f6a7b';

const cases: Array<[string, string, CgroupInfo]> = [
  // systemd driver (v2 unless prefixed)
  ['systemd containerd burstable',
    `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/cri-containerd-${ID}.scope`,
    { podUid: UID, containerId: ID, runtime: 'containerd', qosClass: 'Burstable' }],
  ['systemd containerd besteffort',
    `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_}.slice/cri-containerd-${ID}.scope`,
    { podUid: UID, containerId: ID, runtime: 'containerd', qosClass: 'BestEffort' }],
  ['systemd containerd guaranteed',
    `/kubepods.slice/kubepods-pod${UID_}.slice/cri-containerd-${ID}.scope`,
    { podUid: UID, containerId: ID, runtime: 'containerd', qosClass: 'Guaranteed' }],
  ['systemd cri-o',
    `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/crio-${ID}.scope`,
    { podUid: UID, containerId: ID, runtime: 'cri-o', qosClass: 'Burstable' }],
  ['systemd cri-o nested /container',
    `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/crio-${ID}.scope/container`,
    { podUid: UID, containerId: ID, runtime: 'cri-o', qosClass: 'Burstable' }],
  ['systemd crio-conmon is not a container',
    `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/crio-conmon-${ID}.scope`,
    { podUid: UID, qosClass: 'Burstable' }],
  ['systemd cri-dockerd',
    `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_}.slice/docker-${ID}.scope`,
    { podUid: UID, containerId: ID, runtime: 'docker', qosClass: 'BestEffort' }],
  ['containerd without SystemdCgroup under a slice',
    `/kubepods-burstable-pod${UID_}.slice:cri-containerd:${ID}`,
    { podUid: UID, containerId: ID, runtime: 'containerd', qosClass: 'Burstable' }],
  ['kubelet.slice layout',
    `/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod${UID_}.slice/cri-containerd-${ID}.scope`,
    { podUid: UID, containerId: ID, runtime: 'containerd', qosClass: 'BestEffort' }],
  ['pod-level slice has no container',
    `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice`,
    { podUid: UID, qosClass: 'Burstable' }],
  // cgroupfs driver
  ['cgroupfs burstable', `/kubepods/burstable/pod${UID}/${ID}`,
    { podUid: UID, containerId: ID, qosClass: 'Burstable' }],
  ['cgroupfs besteffort', `/kubepods/besteffort/pod${UID}/${ID}`,
    { podUid: UID, containerId: ID, qosClass: 'BestEffort' }],
  ['cgroupfs guaranteed', `/kubepods/pod${UID}/${ID}`,
    { podUid: UID, containerId: ID, qosClass: 'Guaranteed' }],
  ['cgroupfs cri-o prefix', `/kubepods/burstable/pod${UID}/crio-${ID}`,
    { podUid: UID, containerId: ID, runtime: 'cri-o', qosClass: 'Burstable' }],
  ['static pod (config hash uid)', `/kubepods/burstable/pod${STATIC}/${ID}`,
    { podUid: STATIC, containerId: ID, qosClass: 'Burstable' }],
  // v1 mount prefixes and /proc/<pid>/cgroup lines
  ['v1 memory mount prefix', `/sys/fs/cgroup/memory/kubepods/burstable/pod${UID}/${ID}`,
    { podUid: UID, containerId: ID, qosClass: 'Burstable' }],
  ['v1 cpu,cpuacct mount prefix', `/sys/fs/cgroup/cpu,cpuacct/kubepods/pod${UID}/${ID}`,
    { podUid: UID, containerId: ID, qosClass: 'Guaranteed' }],
  ['v2 mount prefix', `/sys/fs/cgroup/kubepods.slice/kubepods-pod${UID_}.slice/cri-containerd-${ID}.scope`,
    { podUid: UID, containerId: ID, runtime: 'containerd', qosClass: 'Guaranteed' }],
  ['hybrid unified prefix', `/sys/fs/cgroup/unified/kubepods.slice/kubepods-pod${UID_}.slice/crio-${ID}.scope`,
    { podUid: UID, containerId: ID, runtime: 'cri-o', qosClass: 'Guaranteed' }],
  ['/proc/pid/cgroup v1 line', `4:memory:/kubepods/besteffort/pod${UID}/${ID}`,
    { podUid: UID, containerId: ID, qosClass: 'BestEffort' }],
  ['/proc/pid/cgroup v2 line', `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/cri-containerd-${ID}.scope`,
    { podUid: UID, containerId: ID, runtime: 'containerd', qosClass: 'Burstable' }],
  // nested (kind / minikube): innermost wins
  ['kind node container around kubepods', `/system.slice/docker-${ID2}.scope/kubepods/burstable/pod${UID}/${ID}`,
    { podUid: UID, containerId: ID, qosClass: 'Burstable' }],
  ['kind pod-level path ignores the node container', `/system.slice/docker-${ID2}.scope/kubepods/besteffort/pod${UID}`,
    { podUid: UID, qosClass: 'BestEffort' }],
  // plain Docker / Podman, no pod
  ['docker cgroupfs', `/docker/${ID}`, { containerId: ID, runtime: 'docker' }],
  ['docker v1 memory', `/sys/fs/cgroup/memory/docker/${ID}`, { containerId: ID, runtime: 'docker' }],
  ['docker systemd', `/system.slice/docker-${ID}.scope`, { containerId: ID, runtime: 'docker' }],
  ['podman', `/machine.slice/libpod-${ID}.scope/container`, { containerId: ID, runtime: 'podman' }],
  // not containers
  ['root', '/', {}],
  ['user session', '/user.slice/user-1000.slice/session-3.scope', {}],
  ['system service', '/system.slice/containerd.service', {}],
  ['docker.service is not a container', '/system.slice/docker.service', {}],
  ['short id is not a container', '/docker/abc123', {}],
  ['loader v1 path on the dev VM', '/process_api/1cffc43a0cc4c085b9d567ed2e341ec5', {}],
];

describe('parseCgroupPath', () => {
  it.each(cases)('%s', (_name, path, want) => {
    expect(parseCgroupPath(path)).toEqual(want);
  });
});

describe('parsePodLogDir', () => {
  it('splits namespace, name and uid', () => {
    expect(parsePodLogDir(`kube-system_coredns-5d78c9869d-abcde_${UID}`)).toEqual({
      namespace: 'kube-system', name: 'coredns-5d78c9869d-abcde', uid: UID,
    });
  });
  it('accepts a full path and dotted pod names', () => {
    expect(parsePodLogDir(`/var/log/pods/jcode_jcode-os-1-202012180-abc.x_${UID}/`)).toEqual({
      namespace: 'jcode', name: 'jcode-os-1-202012180-abc.x', uid: UID,
    });
  });
  it('accepts static pod config-hash uids', () => {
    expect(parsePodLogDir(`kube-system_etcd-node1_${STATIC}`)).toEqual({
      namespace: 'kube-system', name: 'etcd-node1', uid: STATIC,
    });
  });
  it.each([
    'kube-system_coredns',
    `Kube_x_${UID}`,
    `ns_name_not-a-uid`,
    `ns_na_me_${UID}`,
    '',
  ])('rejects %j', (name) => {
    expect(parsePodLogDir(name)).toBeUndefined();
  });
});
