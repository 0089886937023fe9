import fs from 'node:fs/promises';
import path from 'node:path';
import { kubeRequest } from '../tools/kube-http.js';
import { ManagedProcess } from '../tools/managed-process.js';
import { APISERVER_PORT, NODE_IP, SERVICE_SUBNET } from './cluster-network.js';
import { waitUntilReady } from './component-process.js';
import { ETCD_ENDPOINT } from './etcd.js';
import type { ClusterPki } from './pki.js';

export const APISERVER_URL = `https://${NODE_IP}:${APISERVER_PORT}`;
const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export async function startKubeApiserver(binary: string, workDir: string, pki: ClusterPki, timeoutMs: number): Promise<ManagedProcess> {
  const apiserver = new ManagedProcess('kube-apiserver', binary, [
    `--etcd-servers=${ETCD_ENDPOINT}`,
    `--bind-address=${NODE_IP}`,
    `--advertise-address=${NODE_IP}`,
    `--secure-port=${APISERVER_PORT}`,
    `--tls-cert-file=${pki.apiserverCertificate}`,
    `--tls-private-key-file=${pki.apiserverKey}`,
    `--client-ca-file=${pki.caCertificate}`,
    `--token-auth-file=${pki.tokenFile}`,
    '--authorization-mode=Node,RBAC',
    '--enable-admission-plugins=NodeRestriction',
    `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
    `--service-account-key-file=${pki.serviceAccountPublicKey}`,
    `--service-account-signing-key-file=${pki.serviceAccountPrivateKey}`,
    `--service-cluster-ip-range=${SERVICE_SUBNET}`,
    `--kubelet-client-certificate=${pki.kubeletClientCertificate}`,
    `--kubelet-client-key=${pki.kubeletClientKey}`,
    // Otherwise `kubectl logs` looks the node's name up through the host's resolver.
    '--kubelet-preferred-address-types=InternalIP',
    '--profiling=false',
  ], path.join(workDir, 'kube-apiserver.log'));
  const ca = await fs.readFile(pki.caCertificate, 'utf8');
  await waitUntilReady(apiserver, 'kube-apiserver did not become ready', async () => {
    const response = await kubeRequest({ server: APISERVER_URL, ca }, { path: '/readyz', token: pki.tokens.admin, timeoutMs: 5_000 });
    return response.status === 200;
  }, timeoutMs);
  return apiserver;
}
