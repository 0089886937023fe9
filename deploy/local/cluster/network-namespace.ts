import fs from 'node:fs/promises';
import { runCommand, runCommandForResult } from '../system/run-command.js';
import { NODE_IP, NODE_PREFIX_LENGTH, SERVICE_SUBNET } from './cluster-network.js';

export interface NetworkNamespace {
  readonly name: string;
  /** The bind mount that `nsenter --net=` takes. */
  readonly path: string;
  delete(): Promise<void>;
}

const NODE_LINK = 'node0';
const NODE_LINK_PEER = 'node0-peer';

const NAMESPACES_DIR = '/run/netns';

function namespacePath(name: string): string {
  return `${NAMESPACES_DIR}/${name}`;
}

async function ip(...args: string[]): Promise<void> {
  await runCommand('ip', args);
}

/**
 * A network namespace with no link to the host: loopback, plus a veth pair whose two ends both stay
 * inside (this kernel has no dummy links, and the kubelet refuses a loopback node IP) carrying the node
 * IP. The default route is `unreachable`, so nothing started inside can reach another machine; the
 * service range is routed to the node link so that kube-proxy's rules see local clients' packets.
 */
export async function createNetworkNamespace(name: string): Promise<NetworkNamespace> {
  const namespacesDirExisted = await fs.access(NAMESPACES_DIR).then(() => true, () => false);
  await deleteNetworkNamespace(name);
  await ip('netns', 'add', name);
  try {
    await ip('-n', name, 'link', 'set', 'lo', 'up');
    await ip('-n', name, 'link', 'add', NODE_LINK, 'type', 'veth', 'peer', 'name', NODE_LINK_PEER);
    await ip('-n', name, 'addr', 'add', `${NODE_IP}/${NODE_PREFIX_LENGTH}`, 'dev', NODE_LINK);
    await ip('-n', name, 'link', 'set', NODE_LINK, 'up');
    await ip('-n', name, 'link', 'set', NODE_LINK_PEER, 'up');
    await ip('-n', name, 'route', 'add', 'unreachable', 'default');
    await ip('-n', name, '-6', 'route', 'add', 'unreachable', 'default');
    await ip('-n', name, 'route', 'add', SERVICE_SUBNET, 'dev', NODE_LINK);
    // Pods reach Services through the node, which routes them back onto the pod bridge.
    await runCommand('ip', ['netns', 'exec', name, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  } catch (error) {
    await deleteNetworkNamespace(name);
    throw error;
  }
  const remove = async (): Promise<void> => {
    await deleteNetworkNamespace(name);
    // `ip netns add` made the directory, as a bind mount of itself; left alone while another namespace is in it.
    if (!namespacesDirExisted && (await fs.readdir(NAMESPACES_DIR)).length === 0) {
      await runCommandForResult('umount', [NAMESPACES_DIR]);
      await fs.rmdir(NAMESPACES_DIR);
    }
  };
  return { name, path: namespacePath(name), delete: remove };
}

async function deleteNetworkNamespace(name: string): Promise<void> {
  const exists = await fs.access(namespacePath(name)).then(() => true, () => false);
  if (exists) await ip('netns', 'delete', name);
}
