import { runCommandForResult } from '../system/run-command.js';

const REMOVE_PODS_TIMEOUT_MS = 60_000;

/** Stops and removes every pod sandbox with its containers, straight through the CRI (the kubelet is gone by then). */
export async function removeAllPods(crictl: string, containerdSocket: string): Promise<void> {
  await runCommandForResult(crictl, ['--runtime-endpoint', `unix://${containerdSocket}`, '--timeout', '30s', 'rmp', '--all', '--force'], { timeoutMs: REMOVE_PODS_TIMEOUT_MS });
}
