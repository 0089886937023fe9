import { runCommand, type CommandOutput } from '../system/run-command.js';

const KUBECTL_TIMEOUT_MS = 120_000;

/** Runs kubectl against the cluster with `kubeconfig`; rejects with its output when it fails. */
export function runKubectl(kubectl: string, kubeconfig: string, args: readonly string[]): Promise<CommandOutput> {
  return runCommand(kubectl, ['--kubeconfig', kubeconfig, ...args], { timeoutMs: KUBECTL_TIMEOUT_MS });
}
