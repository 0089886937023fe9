import fs from 'node:fs/promises';
import path from 'node:path';
import { ManagedProcess } from '../tools/managed-process.js';
import { NODE_IP, NODE_NAME, POD_SUBNET } from './cluster-network.js';

export async function startKubeProxy(binary: string, directory: string, kubeconfig: string): Promise<ManagedProcess> {
  const config = {
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    mode: 'nftables',
    clientConnection: { kubeconfig },
    hostnameOverride: NODE_NAME,
    bindAddress: NODE_IP,
    clusterCIDR: POD_SUBNET,
    nodePortAddresses: [`${NODE_IP}/32`],
    // Pods share one bridge: without masquerading, a reply from a Service's pod would bypass the DNAT.
    nftables: { masqueradeAll: true },
    // No conntrack tuning: those sysctls are host-wide.
    conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
    healthzBindAddress: '127.0.0.1:10256',
    metricsBindAddress: '127.0.0.1:10249',
  };
  const configFile = path.join(directory, 'kube-proxy-config.json');
  await fs.writeFile(configFile, JSON.stringify(config, null, 2));
  return new ManagedProcess('kube-proxy', binary, [`--config=${configFile}`, `--hostname-override=${NODE_NAME}`], path.join(directory, 'kube-proxy.log'));
}
