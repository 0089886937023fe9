import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand, runCommandForResult, type CommandResult } from '../../../deploy/local/system/run-command.js';
import { clusterSessionEnv } from './cluster-session-env.js';

export const CHART_DIR = fileURLToPath(new URL('../../../../helm/todo-history', import.meta.url));
const COMMAND_TIMEOUT_MS = 6 * 60_000;

export async function kubectl(...args: string[]): Promise<string> {
  const session = clusterSessionEnv();
  return (await runCommand(session.kubectl, ['--kubeconfig', session.kubeconfig, ...args], { timeoutMs: COMMAND_TIMEOUT_MS })).stdout;
}

/** crictl on the node's containerd: what happens to containers behind the kubelet's back. */
export async function crictl(...args: string[]): Promise<string> {
  const session = clusterSessionEnv();
  return (await runCommand(session.crictl, ['--runtime-endpoint', `unix://${session.containerdSocket}`, ...args], { timeoutMs: COMMAND_TIMEOUT_MS })).stdout;
}

/** helm with the admin kubeconfig; resolves with the exit code, for tests that assert on it. */
export function helm(...args: string[]): Promise<CommandResult> {
  const session = clusterSessionEnv();
  return runCommandForResult(session.helm, ['--kubeconfig', session.kubeconfig, ...args], {
    timeoutMs: COMMAND_TIMEOUT_MS,
    env: { ...process.env, HELM_CACHE_HOME: path.join(path.dirname(session.kubeconfig), 'helm-cache'), HELM_CONFIG_HOME: path.join(path.dirname(session.kubeconfig), 'helm-config') },
  });
}

/** `--set` arguments for every entry, keys in helm's dotted form. */
export function setValues(values: Readonly<Record<string, string | number | boolean>>): string[] {
  return Object.entries(values).flatMap(([key, value]) => [typeof value === 'string' ? '--set-string' : '--set', `${key}=${String(value)}`]);
}
