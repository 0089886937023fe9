import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { etcdProcess } from '../cluster/etcd.js';
import { writeServiceAccountKeyPair } from '../cluster/pki.js';
import { findFreePorts } from '../system/free-port.js';
import { registerExitCleanup } from '../system/process-exit-cleanup.js';
import { ensureGoTool } from './go-tools.js';
import { kubeRequest } from './kube-http.js';
import { writeKubeconfig } from './kubeconfig.js';
import { ManagedProcess } from './managed-process.js';

export interface ControlPlane {
  /** https URL of kube-apiserver. */
  server: string;
  /** Bearer token of a `system:masters` user. */
  adminToken: string;
  /** PEM bundle (serving certificate + its self-signed CA) that verifies `server`. */
  caFile: string;
  kubeconfigPath: string;
  etcdEndpoint: string;
  /** Temporary directory with data, keys and logs (etcd.log, kube-apiserver.log); removed by stop(). */
  workDir: string;
  stop(): Promise<void>;
}

export interface ControlPlaneOptions {
  /** How long etcd plus kube-apiserver may take to become ready. */
  startupTimeoutMs?: number;
}

const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
const POLL_INTERVAL_MS = 200;

async function waitUntil(description: string, deadline: number, watched: ManagedProcess, probe: () => Promise<boolean>): Promise<void> {
  for (;;) {
    if (watched.hasExited) throw new Error(`${description}: ${watched.describe()}`);
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${description} in time: ${watched.describe()}`);
    await sleep(POLL_INTERVAL_MS);
  }
}

function writeCredentials(workDir: string, adminToken: string): { tokenFile: string; publicKeyFile: string; privateKeyFile: string } {
  const { publicKeyFile, privateKeyFile } = writeServiceAccountKeyPair(workDir);
  const tokenFile = path.join(workDir, 'tokens.csv');
  fs.writeFileSync(tokenFile, `${adminToken},admin,admin-uid,"system:masters"\n`, { mode: 0o600 });
  return { tokenFile, publicKeyFile, privateKeyFile };
}

function startKubeApiserver(binary: string, workDir: string, etcdEndpoint: string, port: number, adminToken: string): ManagedProcess {
  const { tokenFile, publicKeyFile, privateKeyFile } = writeCredentials(workDir, adminToken);
  return new ManagedProcess('kube-apiserver', binary, [
    `--etcd-servers=${etcdEndpoint}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${port}`,
    // No --tls-cert-file: kube-apiserver generates a CA and a serving certificate here.
    `--cert-dir=${path.join(workDir, 'pki')}`,
    `--token-auth-file=${tokenFile}`,
    '--authorization-mode=RBAC',
    `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
    `--service-account-key-file=${publicKeyFile}`,
    `--service-account-signing-key-file=${privateKeyFile}`,
    '--service-cluster-ip-range=10.96.0.0/16',
    // Endpoints must not hold loopback addresses, so the default reconciler would only log errors.
    '--endpoint-reconciler-type=none',
    '--profiling=false',
  ], path.join(workDir, 'kube-apiserver.log'));
}

/**
 * Starts etcd and kube-apiserver (built by ensureGoTool, first run takes many minutes)
 * on free loopback ports and resolves once `/readyz` answers ok. Both processes are
 * stopped by `stop()` and, as a fallback, when this process exits.
 */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const etcdBinary = await ensureGoTool('etcd');
  const apiserverBinary = await ensureGoTool('kube-apiserver');
  const deadline = Date.now() + (options.startupTimeoutMs ?? 120_000);
  const workDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'control-plane-'));
  const processes: ManagedProcess[] = [];
  let stopped: Promise<void> | undefined;
  const unregister = registerExitCleanup({
    killNow: () => {
      for (const child of processes) child.killNow();
      fs.rmSync(workDir, { recursive: true, force: true });
    },
    shutdown: () => stop(),
  });
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      for (const child of [...processes].reverse()) await child.stop();
      unregister();
      await fsp.rm(workDir, { recursive: true, force: true });
    })();
    return stopped;
  };

  try {
    const [etcdClientPort, etcdPeerPort, apiserverPort] = await findFreePorts(3);
    if (etcdClientPort === undefined || etcdPeerPort === undefined || apiserverPort === undefined) throw new Error('no three free ports');
    const etcdEndpoint = `http://127.0.0.1:${etcdClientPort}`;
    const etcd = etcdProcess(etcdBinary, workDir, etcdClientPort, etcdPeerPort);
    processes.push(etcd);
    await waitUntil('etcd did not become healthy', deadline, etcd, async () => {
      const response = await fetch(`${etcdEndpoint}/health`);
      return response.ok && ((await response.json()) as { health?: string }).health === 'true';
    });

    const adminToken = crypto.randomBytes(32).toString('hex');
    const apiserver = startKubeApiserver(apiserverBinary, workDir, etcdEndpoint, apiserverPort, adminToken);
    processes.push(apiserver);
    const server = `https://127.0.0.1:${apiserverPort}`;
    const caFile = path.join(workDir, 'pki', 'apiserver.crt');
    await waitUntil('kube-apiserver did not become ready', deadline, apiserver, async () => {
      const ca = await fsp.readFile(caFile, 'utf8');
      const response = await kubeRequest({ server, ca }, { path: '/readyz', token: adminToken, timeoutMs: 5_000 });
      return response.status === 200;
    });

    const kubeconfigPath = path.join(workDir, 'kubeconfig');
    await writeKubeconfig(kubeconfigPath, { server, caFile, token: adminToken });
    return { server, adminToken, caFile, kubeconfigPath, etcdEndpoint, workDir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
