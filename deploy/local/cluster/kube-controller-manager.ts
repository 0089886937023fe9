import path from 'node:path';
import { ManagedProcess } from '../tools/managed-process.js';
import { SERVICE_SUBNET } from './cluster-network.js';
import type { ClusterPki } from './pki.js';

export function startKubeControllerManager(binary: string, workDir: string, kubeconfig: string, pki: ClusterPki): ManagedProcess {
  return new ManagedProcess('kube-controller-manager', binary, [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--bind-address=127.0.0.1',
    '--leader-elect=false',
    // Each controller acts as its own ServiceAccount, as the bootstrap RBAC roles expect.
    '--use-service-account-credentials=true',
    `--service-account-private-key-file=${pki.serviceAccountPrivateKey}`,
    `--root-ca-file=${pki.caCertificate}`,
    `--service-cluster-ip-range=${SERVICE_SUBNET}`,
    '--profiling=false',
  ], path.join(workDir, 'kube-controller-manager.log'));
}
