import fs from 'node:fs/promises';
import path from 'node:path';
import { ManagedProcess } from '../tools/managed-process.js';
import { CLUSTER_DOMAIN, KUBELET_PORT, NODE_IP, NODE_NAME } from './cluster-network.js';
import type { ClusterPki } from './pki.js';

export interface KubeletSettings {
  readonly binary: string;
  /** Its root dir, config and logs. */
  readonly directory: string;
  readonly kubeconfig: string;
  readonly pki: ClusterPki;
  readonly containerdSocket: string;
  readonly clusterDns: string;
}

function renderConfig(settings: KubeletSettings, resolvConf: string): string {
  const config = {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: NODE_IP,
    port: KUBELET_PORT,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: 10248,
    containerRuntimeEndpoint: `unix://${settings.containerdSocket}`,
    // This host has cgroup v1 (hybrid) and no systemd managing the processes.
    failCgroupV1: false,
    cgroupDriver: 'cgroupfs',
    // Lowering its own oom_score_adj needs CAP_SYS_RESOURCE, which the host lacks.
    oomScoreAdj: 0,
    failSwapOn: false,
    // Without it, a second name of an image already present counts as absent under pullPolicy Never.
    imagePullCredentialsVerificationPolicy: 'NeverVerify',
    // A busy shared test machine must not make the only node evict its pods or images.
    evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%', 'nodefs.inodesFree': '1%' },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    authentication: { anonymous: { enabled: false }, webhook: { enabled: false }, x509: { clientCAFile: settings.pki.caCertificate } },
    authorization: { mode: 'AlwaysAllow' },
    clusterDNS: [settings.clusterDns],
    clusterDomain: CLUSTER_DOMAIN,
    resolvConf,
    podLogsDir: path.join(settings.directory, 'pod-logs'),
    serializeImagePulls: false,
  };
  return JSON.stringify(config, null, 2);
}

export async function startKubelet(settings: KubeletSettings): Promise<ManagedProcess> {
  const rootDir = path.join(settings.directory, 'root');
  await fs.mkdir(rootDir, { recursive: true });
  // The node's own resolver for pods with dnsPolicy Default: none, there is nowhere to resolve names.
  const resolvConf = path.join(settings.directory, 'resolv.conf');
  await fs.writeFile(resolvConf, `nameserver ${settings.clusterDns}\n`);
  const configFile = path.join(settings.directory, 'kubelet-config.json');
  await fs.writeFile(configFile, renderConfig(settings, resolvConf));
  return new ManagedProcess('kubelet', settings.binary, [
    `--config=${configFile}`,
    `--kubeconfig=${settings.kubeconfig}`,
    `--root-dir=${rootDir}`,
    `--cert-dir=${path.join(settings.directory, 'pki')}`,
    `--node-ip=${NODE_IP}`,
    `--hostname-override=${NODE_NAME}`,
  ], path.join(settings.directory, 'kubelet.log'));
}
