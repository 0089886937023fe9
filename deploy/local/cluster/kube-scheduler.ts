import path from 'node:path';
import { ManagedProcess } from '../tools/managed-process.js';

export function startKubeScheduler(binary: string, workDir: string, kubeconfig: string): ManagedProcess {
  return new ManagedProcess('kube-scheduler', binary, [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--bind-address=127.0.0.1',
    '--leader-elect=false',
    '--profiling=false',
  ], path.join(workDir, 'kube-scheduler.log'));
}
