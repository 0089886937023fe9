import fs from 'node:fs/promises';
import path from 'node:path';
import { runCommand, runCommandForResult } from '../system/run-command.js';
import { ManagedProcess } from '../tools/managed-process.js';
import { POD_SUBNET } from './cluster-network.js';
import { waitUntilReady } from './component-process.js';

const CONTAINERD = '/usr/bin/containerd';
const CTR = '/usr/bin/ctr';
const RUNC = '/usr/sbin/runc';
const CNI_PLUGINS = '/usr/lib/cni';
/** The CRI plugin's namespace, where the kubelet's images and containers live. */
const KUBERNETES_NAMESPACE = 'k8s.io';

export interface Containerd {
  readonly process: ManagedProcess;
  /** unix socket path. */
  readonly socket: string;
  /** `ctr images import` of an image archive into the kubelet's namespace. */
  importImage(archive: string): Promise<void>;
}

function renderConfig(directory: string, socket: string, pauseImage: string): string {
  return `version = 2
root = "${path.join(directory, 'root')}"
state = "${path.join(directory, 'state')}"
# The opt plugin would install into /opt/containerd; tracing would look for a collector.
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "${socket}"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${pauseImage}"
  # Lowering oom_score_adj needs CAP_SYS_RESOURCE, which this host's bounding set lacks.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "${RUNC}"
        Root = "${path.join(directory, 'runc')}"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "${CNI_PLUGINS}"
    conf_dir = "${path.join(directory, 'cni')}"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "${path.join(directory, 'certs.d')}"
`;
}

/** hosts.toml telling containerd to pull `registry` (host:port) over plain HTTP. */
async function writePlainHttpRegistry(directory: string, registry: string): Promise<void> {
  const hostDir = path.join(directory, 'certs.d', registry);
  await fs.mkdir(hostDir, { recursive: true });
  await fs.writeFile(path.join(hostDir, 'hosts.toml'), `server = "http://${registry}"\n\n[host."http://${registry}"]\n  capabilities = ["pull", "resolve"]\n`);
}

function renderCniConfig(directory: string): string {
  return JSON.stringify({
    cniVersion: '1.0.0',
    name: 'todo-history-pods',
    plugins: [
      {
        type: 'bridge',
        bridge: 'cni0',
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        ipam: { type: 'host-local', ranges: [[{ subnet: POD_SUBNET }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: path.join(directory, 'cni-ipam') },
      },
    ],
  }, null, 2);
}

/**
 * containerd with the CRI plugin, runc and a bridge CNI network, everything kept under `directory`; it pulls
 * from `plainHttpRegistry` (host:port) without TLS.
 */
export async function startContainerd(directory: string, pauseImage: string, plainHttpRegistry: string, timeoutMs: number): Promise<Containerd> {
  await fs.mkdir(path.join(directory, 'cni'), { recursive: true });
  await writePlainHttpRegistry(directory, plainHttpRegistry);
  const socket = path.join(directory, 'containerd.sock');
  const configFile = path.join(directory, 'config.toml');
  await fs.writeFile(configFile, renderConfig(directory, socket, pauseImage));
  await fs.writeFile(path.join(directory, 'cni', '10-pods.conflist'), renderCniConfig(directory));
  const containerd = new ManagedProcess('containerd', CONTAINERD, ['--config', configFile, '--log-level', 'warn'], path.join(directory, 'containerd.log'));
  await waitUntilReady(containerd, 'containerd did not answer', async () => (await runCommandForResult(CTR, ['-a', socket, 'version'], { timeoutMs: 5_000 })).exitCode === 0, timeoutMs);
  return {
    process: containerd,
    socket,
    importImage: async (archive) => {
      await runCommand(CTR, ['-a', socket, '-n', KUBERNETES_NAMESPACE, 'images', 'import', archive], { timeoutMs: 120_000 });
    },
  };
}

/** PIDs of the runc shims of this containerd (they outlive containerd, reparented to init). */
export async function shimsOf(socket: string): Promise<number[]> {
  const entries = await fs.readdir('/proc');
  const pids: number[] = [];
  for (const entry of entries.filter((name) => /^\d+$/.test(name))) {
    const commandLine = await fs.readFile(path.join('/proc', entry, 'cmdline'), 'utf8').catch(() => '');
    const args = commandLine.split('\0');
    if (args[0]?.endsWith('containerd-shim-runc-v2') === true && args.includes(socket)) pids.push(Number(entry));
  }
  return pids;
}
