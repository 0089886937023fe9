import path from 'node:path';
import { ManagedProcess } from '../tools/managed-process.js';
import { ETCD_CLIENT_PORT, ETCD_PEER_PORT } from './cluster-network.js';
import { waitUntilReady } from './component-process.js';

export const ETCD_ENDPOINT = `http://127.0.0.1:${ETCD_CLIENT_PORT}`;

/** A single-member etcd on loopback with throwaway data in `workDir`; the cluster's and the control-plane tests' own. */
export function etcdProcess(binary: string, workDir: string, clientPort: number, peerPort: number): ManagedProcess {
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  return new ManagedProcess('etcd', binary, [
    '--name=default',
    `--data-dir=${path.join(workDir, 'etcd-data')}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=default=${peerUrl}`,
    // Throwaway data: durability is not worth the fsync latency.
    '--unsafe-no-fsync',
    '--log-level=warn',
  ], path.join(workDir, 'etcd.log'));
}

export async function startEtcd(binary: string, workDir: string, timeoutMs: number): Promise<ManagedProcess> {
  const etcd = etcdProcess(binary, workDir, ETCD_CLIENT_PORT, ETCD_PEER_PORT);
  await waitUntilReady(etcd, 'etcd did not become healthy', async () => {
    const response = await fetch(`${ETCD_ENDPOINT}/health`);
    return response.ok && ((await response.json()) as { health?: string }).health === 'true';
  }, timeoutMs);
  return etcd;
}
