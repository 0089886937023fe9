import crypto from 'node:crypto';
import { writeFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { runCommand } from '../system/run-command.js';
import { CLUSTER_DOMAIN, KUBERNETES_SERVICE_IP, NODE_IP, NODE_NAME } from './cluster-network.js';

/** Files of the cluster's credentials, all in one directory. */
export interface ClusterPki {
  readonly caCertificate: string;
  readonly apiserverCertificate: string;
  readonly apiserverKey: string;
  /** The client certificate kube-apiserver presents to the kubelet (exec, logs, port-forward). */
  readonly kubeletClientCertificate: string;
  readonly kubeletClientKey: string;
  readonly serviceAccountPublicKey: string;
  readonly serviceAccountPrivateKey: string;
  /** kube-apiserver's --token-auth-file. */
  readonly tokenFile: string;
  /** Bearer token per component user (admin, kubelet, controller-manager, scheduler, kube-proxy, coredns). */
  readonly tokens: Readonly<Record<ClusterUser, string>>;
}

export type ClusterUser = 'admin' | 'kubelet' | 'kube-controller-manager' | 'kube-scheduler' | 'kube-proxy' | 'coredns';

/** Each component's identity: the users and groups Kubernetes' bootstrap RBAC (and the Node authorizer) know. */
const USER_IDENTITIES: Readonly<Record<ClusterUser, { name: string; groups: readonly string[] }>> = {
  admin: { name: 'admin', groups: ['system:masters'] },
  kubelet: { name: `system:node:${NODE_NAME}`, groups: ['system:nodes'] },
  'kube-controller-manager': { name: 'system:kube-controller-manager', groups: [] },
  'kube-scheduler': { name: 'system:kube-scheduler', groups: [] },
  'kube-proxy': { name: 'system:kube-proxy', groups: [] },
  coredns: { name: 'system:coredns', groups: [] },
};

const VALIDITY_DAYS = '2';

async function openssl(directory: string, args: readonly string[]): Promise<void> {
  await runCommand('openssl', args, { cwd: directory });
}

async function signedCertificate(directory: string, name: string, subject: string, extensions: string): Promise<void> {
  const extensionsFile = path.join(directory, `${name}.ext`);
  await fs.writeFile(extensionsFile, extensions);
  await openssl(directory, ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
  await openssl(directory, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', VALIDITY_DAYS, '-out', `${name}.crt`, '-extfile', extensionsFile]);
}

function tokenFileLine(token: string, user: ClusterUser): string {
  const { name, groups } = USER_IDENTITIES[user];
  return `${token},${name},${name}${groups.length > 0 ? `,"${groups.join(',')}"` : ''}`;
}

/** A throwaway CA, kube-apiserver's serving certificate, its kubelet client certificate, service-account keys and static tokens. */
/** The key pair kube-apiserver signs service account tokens with (and the controller manager issues them with). */
export function writeServiceAccountKeyPair(directory: string): { publicKeyFile: string; privateKeyFile: string } {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const publicKeyFile = path.join(directory, 'service-account.pub');
  const privateKeyFile = path.join(directory, 'service-account.key');
  writeFileSync(publicKeyFile, publicKey);
  writeFileSync(privateKeyFile, privateKey, { mode: 0o600 });
  return { publicKeyFile, privateKeyFile };
}

export async function createClusterPki(directory: string): Promise<ClusterPki> {
  await fs.mkdir(directory, { recursive: true, mode: 0o700 });
  await openssl(directory, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', VALIDITY_DAYS, '-subj', '/CN=todo-history-test-ca']);
  const serviceNames = ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', `kubernetes.default.svc.${CLUSTER_DOMAIN}`, 'localhost'];
  const alternativeNames = [...serviceNames.map((name) => `DNS:${name}`), `IP:${NODE_IP}`, `IP:${KUBERNETES_SERVICE_IP}`, 'IP:127.0.0.1'].join(',');
  await signedCertificate(directory, 'apiserver', '/CN=kube-apiserver', `subjectAltName=${alternativeNames}\nextendedKeyUsage=serverAuth\n`);
  await signedCertificate(directory, 'apiserver-kubelet-client', '/O=system:masters/CN=kube-apiserver-kubelet-client', 'extendedKeyUsage=clientAuth\n');

  const { publicKeyFile: serviceAccountPublicKey, privateKeyFile: serviceAccountPrivateKey } = writeServiceAccountKeyPair(directory);

  const users = Object.keys(USER_IDENTITIES) as ClusterUser[];
  const tokens = Object.fromEntries(users.map((user) => [user, crypto.randomBytes(24).toString('hex')])) as Record<ClusterUser, string>;
  const tokenFile = path.join(directory, 'tokens.csv');
  await fs.writeFile(tokenFile, `${users.map((user) => tokenFileLine(tokens[user], user)).join('\n')}\n`, { mode: 0o600 });

  return {
    caCertificate: path.join(directory, 'ca.crt'),
    apiserverCertificate: path.join(directory, 'apiserver.crt'),
    apiserverKey: path.join(directory, 'apiserver.key'),
    kubeletClientCertificate: path.join(directory, 'apiserver-kubelet-client.crt'),
    kubeletClientKey: path.join(directory, 'apiserver-kubelet-client.key'),
    serviceAccountPublicKey,
    serviceAccountPrivateKey,
    tokenFile,
    tokens,
  };
}
