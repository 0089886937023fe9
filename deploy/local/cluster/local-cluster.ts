import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { registerExitCleanup } from '../system/process-exit-cleanup.js';
import { describeError } from '../system/log-tail.js';
import { runCommand } from '../system/run-command.js';
import { waitFor } from '../system/wait-for.js';
import type { ManagedProcess } from '../tools/managed-process.js';
import type { ClusterBinaries } from './cluster-binaries.js';
import { NODE_IP, NODE_NAME } from './cluster-network.js';
import { startContainerd, shimsOf } from './containerd.js';
import { COREDNS_RBAC, COREDNS_READY_URL, startCoreDns } from './coredns.js';
import { removeAllPods } from './crictl.js';
import { startEtcd } from './etcd.js';
import { restoreHostState, snapshotHostState, unmountAllUnder } from './host-state.js';
import { APISERVER_URL, startKubeApiserver } from './kube-apiserver.js';
import { startKubeControllerManager } from './kube-controller-manager.js';
import { startKubeProxy } from './kube-proxy.js';
import { startKubeScheduler } from './kube-scheduler.js';
import { writeUserKubeconfig } from './kubeconfig-files.js';
import { runKubectl } from './kubectl.js';
import { startKubelet } from './kubelet.js';
import { REGISTRY_HOST, startLocalRegistry } from './local-registry.js';
import { createClusterPki, type ClusterUser } from './pki.js';

export interface LocalCluster {
  readonly apiserverUrl: string;
  /** kubeconfig of a system:masters user, for kubectl and helm. */
  readonly adminKubeconfig: string;
  readonly nodeIp: string;
  readonly binaries: ClusterBinaries;
  /** containerd's CRI socket, for crictl. */
  readonly containerdSocket: string;
  /** host:port of a plain-HTTP registry in the namespace that containerd pulls from (skaffold's default repo). */
  readonly registry: string;
  /** Logs, configuration and state of every component; removed by stop(). */
  readonly workDir: string;
  kubectl(args: readonly string[]): Promise<string>;
  /** Resident memory of the cluster's own processes (not the pods'), in bytes. */
  memoryBytes(): Promise<number>;
  stop(): Promise<void>;
}

export interface LocalClusterOptions {
  readonly binaries: ClusterBinaries;
  readonly pauseImage: string;
  /** docker-archive files imported into containerd before the kubelet starts. */
  readonly imageArchives: readonly string[];
  readonly startupTimeoutMs?: number;
}

const DEFAULT_STARTUP_TIMEOUT_MS = 120_000;
const COMPONENT_STOP_GRACE_MS = 10_000;

/** Refuses to start anywhere but in a network namespace whose default route leads nowhere. */
async function assertIsolatedNetwork(): Promise<void> {
  const { stdout } = await runCommand('ip', ['route', 'show', 'default']);
  if (!/^unreachable default/m.test(stdout) || stdout.trim().split('\n').length !== 1) {
    throw new Error(`The cluster must run in its own network namespace with an unreachable default route; here the default route is: ${stdout.trim() || 'none'}`);
  }
}

async function residentBytes(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0;
  const status = await fsp.readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
}

/**
 * A real single-node Kubernetes: etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
 * a local registry, containerd + runc with a bridge CNI network, the kubelet, kube-proxy (nftables) and CoreDNS. Must be
 * called from inside the namespace createNetworkNamespace made; everything it starts is stopped by
 * stop() or when this process exits, and the host state the kubelet changes is put back.
 */
export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  await assertIsolatedNetwork();
  const { binaries } = options;
  const timeoutMs = options.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS;
  const hostState = await snapshotHostState();
  const workDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'todo-history-cluster-'));
  const processes: ManagedProcess[] = [];
  let containerdSocket: string | undefined;
  let stopping: Promise<void> | undefined;

  const stopProcess = async (name: string): Promise<void> => {
    await processes.find((child) => child.name === name)?.stop(COMPONENT_STOP_GRACE_MS);
  };
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const failures: string[] = [];
      const attempt = async (what: string, step: () => Promise<unknown>): Promise<void> => {
        await step().catch((error: unknown) => failures.push(`${what}: ${describeError(error)}`));
      };
      await attempt('stopping the kubelet', () => stopProcess('kubelet'));
      if (containerdSocket !== undefined) {
        const socket = containerdSocket;
        await attempt('removing the pods', () => removeAllPods(binaries.crictl, socket));
        await attempt('stopping containerd', () => stopProcess('containerd'));
        await attempt('killing the shims', async () => {
          for (const pid of await shimsOf(socket)) process.kill(pid, 'SIGKILL');
        });
      }
      for (const child of [...processes].reverse()) await attempt(`stopping ${child.name}`, () => child.stop(COMPONENT_STOP_GRACE_MS));
      await attempt('restoring the host state', () => restoreHostState(hostState));
      await attempt('unmounting', () => unmountAllUnder(workDir));
      await attempt('removing the work dir', () => fsp.rm(workDir, { recursive: true, force: true }));
      unregister();
      if (failures.length > 0) throw new Error(`Stopping the cluster left work undone:\n${failures.join('\n')}`);
    })();
    return stopping;
  };
  const unregister = registerExitCleanup({
    killNow: () => {
      for (const child of processes) child.killNow();
      fs.rmSync(workDir, { recursive: true, force: true });
    },
    shutdown: () => stop(),
  });

  try {
    const pki = await createClusterPki(path.join(workDir, 'pki'));
    const kubeconfigs = path.join(workDir, 'kubeconfigs');
    await fsp.mkdir(kubeconfigs);
    const kubeconfigOf = (user: ClusterUser): Promise<string> => writeUserKubeconfig(kubeconfigs, APISERVER_URL, pki, user);
    const adminKubeconfig = await kubeconfigOf('admin');
    const kubectl = async (args: readonly string[]): Promise<string> => (await runKubectl(binaries.kubectl, adminKubeconfig, args)).stdout;

    processes.push(await startEtcd(binaries.etcd, workDir, timeoutMs));
    processes.push(await startKubeApiserver(binaries['kube-apiserver'], workDir, pki, timeoutMs));
    const corednsRbac = path.join(workDir, 'coredns-rbac.yaml');
    await fsp.writeFile(corednsRbac, COREDNS_RBAC);
    await kubectl(['apply', '-f', corednsRbac]);
    processes.push(startKubeControllerManager(binaries['kube-controller-manager'], workDir, await kubeconfigOf('kube-controller-manager'), pki));
    processes.push(startKubeScheduler(binaries['kube-scheduler'], workDir, await kubeconfigOf('kube-scheduler')));

    processes.push(await startLocalRegistry(binaries.registry, workDir, timeoutMs));
    const containerd = await startContainerd(path.join(workDir, 'containerd'), options.pauseImage, REGISTRY_HOST, timeoutMs);
    processes.push(containerd.process);
    containerdSocket = containerd.socket;
    for (const archive of options.imageArchives) await containerd.importImage(archive);

    const nodeDir = path.join(workDir, 'node');
    await fsp.mkdir(nodeDir);
    processes.push(await startKubelet({ binary: binaries.kubelet, directory: nodeDir, kubeconfig: await kubeconfigOf('kubelet'), pki, containerdSocket: containerd.socket, clusterDns: NODE_IP }));
    processes.push(await startKubeProxy(binaries['kube-proxy'], workDir, await kubeconfigOf('kube-proxy')));
    processes.push(await startCoreDns(binaries.coredns, workDir, await kubeconfigOf('coredns')));

    const waitOptions = { timeoutMs, intervalMs: 500 };
    const readyCondition = '{.status.conditions[?(@.type=="Ready")].status}';
    await waitFor(`node ${NODE_NAME} to be Ready`, () => kubectl(['get', 'node', NODE_NAME, '-o', `jsonpath=${readyCondition}`]), (status) => status === 'True', waitOptions);
    await waitFor('the default ServiceAccount', () => kubectl(['get', 'serviceaccount', 'default', '-o', 'name']), (name) => name.trim() !== '', waitOptions);
    await waitFor('CoreDNS to be ready', async () => (await fetch(COREDNS_READY_URL)).ok, (ready) => ready, waitOptions);

    return {
      apiserverUrl: APISERVER_URL,
      adminKubeconfig,
      nodeIp: NODE_IP,
      binaries,
      containerdSocket: containerd.socket,
      registry: REGISTRY_HOST,
      workDir,
      kubectl,
      memoryBytes: async () => (await Promise.all(processes.map((child) => residentBytes(child.pid)))).reduce((sum, bytes) => sum + bytes, 0),
      stop,
    };
  } catch (error) {
    await stop().catch((stopError: unknown) => process.stderr.write(`${describeError(stopError)}\n`));
    throw error;
  }
}
