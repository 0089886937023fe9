import fs from 'node:fs/promises';
import path from 'node:path';
import { runCommandForResult } from '../system/run-command.js';
import { waitFor } from '../system/wait-for.js';

/** Host-wide sysctls the kubelet sets at every start; they are not per network namespace. */
const KUBELET_SYSCTLS = ['vm/overcommit_memory', 'vm/panic_on_oom', 'kernel/panic', 'kernel/panic_on_oops', 'kernel/keys/root_maxkeys', 'kernel/keys/root_maxbytes'];

/** Paths outside its own directories that a node writes to whatever it is told. */
const NODE_WRITES_OUTSIDE_ITS_ROOT = ['/var/log/containers', '/var/log/pods', '/var/lib/kubelet', '/var/lib/cni', '/run/containerd', '/opt/containerd'];

const CGROUP_ROOT = '/sys/fs/cgroup';
const POD_CGROUP = 'kubepods';
const POD_NETNS_PREFIX = 'cni-';

export interface HostStateSnapshot {
  readonly sysctls: ReadonlyMap<string, string>;
  /** Of NODE_WRITES_OUTSIDE_ITS_ROOT, those that did not exist: removed again on restore. */
  readonly absentPaths: readonly string[];
  readonly podNetnsBefore: ReadonlySet<string>;
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(() => true, () => false);
}

async function podNetworkNamespaces(): Promise<Set<string>> {
  const entries = await fs.readdir('/run/netns').catch(() => []);
  return new Set(entries.filter((entry) => entry.startsWith(POD_NETNS_PREFIX)));
}

/** What the host looks like before a node starts, so that restoreHostState can put it back. */
export async function snapshotHostState(): Promise<HostStateSnapshot> {
  const sysctls = new Map<string, string>();
  for (const name of KUBELET_SYSCTLS) sysctls.set(name, (await fs.readFile(path.join('/proc/sys', name), 'utf8')).trim());
  const absentPaths: string[] = [];
  for (const candidate of NODE_WRITES_OUTSIDE_ITS_ROOT) if (!(await exists(candidate))) absentPaths.push(candidate);
  return { sysctls, absentPaths, podNetnsBefore: await podNetworkNamespaces() };
}

/** Mount points at or below `directory`, deepest first. */
export async function mountsUnder(directory: string): Promise<string[]> {
  const mounts = await fs.readFile('/proc/self/mountinfo', 'utf8');
  const prefix = directory.endsWith('/') ? directory : `${directory}/`;
  return mounts
    .split('\n')
    .map((line) => (line.split(' ')[4] ?? '').replace(/\\040/g, ' '))
    .filter((mountPoint) => mountPoint === directory || mountPoint.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
}

/** Lazily unmounts everything mounted below `directory` (pod volumes, container root filesystems, shm). */
export async function unmountAllUnder(directory: string): Promise<void> {
  for (const mountPoint of await mountsUnder(directory)) await runCommandForResult('umount', ['-l', mountPoint]);
}

async function removeCgroupTree(directory: string): Promise<void> {
  const entries = await fs.readdir(directory, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) if (entry.isDirectory()) await removeCgroupTree(path.join(directory, entry.name));
  await fs.rmdir(directory).catch(() => undefined);
}

/** The pod cgroup trees the kubelet created, in every hierarchy (cgroup v1 has one per controller). */
async function removePodCgroups(): Promise<void> {
  const hierarchies = await fs.readdir(CGROUP_ROOT, { withFileTypes: true }).catch(() => []);
  for (const hierarchy of hierarchies) {
    if (!hierarchy.isDirectory()) continue;
    await removeCgroupTree(path.join(CGROUP_ROOT, hierarchy.name, POD_CGROUP));
    await removeCgroupTree(path.join(CGROUP_ROOT, hierarchy.name, 'unified', POD_CGROUP));
  }
}

/** PIDs of every process still in a pod cgroup (a container that outlived its runtime). */
export async function processesInPodCgroups(): Promise<number[]> {
  const pids = new Set<number>();
  const walk = async (directory: string): Promise<void> => {
    const entries = await fs.readdir(directory, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (entry.isDirectory()) await walk(path.join(directory, entry.name));
      else if (entry.name === 'cgroup.procs') {
        const content = await fs.readFile(path.join(directory, entry.name), 'utf8').catch(() => '');
        for (const pid of content.split('\n').filter((line) => line !== '')) pids.add(Number(pid));
      }
    }
  };
  await walk(path.join(CGROUP_ROOT, 'pids', POD_CGROUP));
  return [...pids];
}

async function removePodNetworkNamespaces(before: ReadonlySet<string>): Promise<void> {
  for (const name of await podNetworkNamespaces()) {
    if (before.has(name)) continue;
    const file = path.join('/run/netns', name);
    await runCommandForResult('umount', ['-l', file]);
    await fs.rm(file, { force: true });
  }
}

/** Puts back the sysctls, and removes the pod cgroups, pod network namespaces and directories a node left. */
export async function restoreHostState(snapshot: HostStateSnapshot): Promise<void> {
  for (const pid of await processesInPodCgroups()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  await waitFor('the processes left in pod cgroups to die', processesInPodCgroups, (pids) => pids.length === 0, { timeoutMs: 10_000 });
  for (const [name, value] of snapshot.sysctls) await fs.writeFile(path.join('/proc/sys', name), `${value}\n`);
  await removePodNetworkNamespaces(snapshot.podNetnsBefore);
  for (const absent of snapshot.absentPaths) {
    await unmountAllUnder(absent);
    await fs.rm(absent, { recursive: true, force: true });
  }
  await removePodCgroups();
}
