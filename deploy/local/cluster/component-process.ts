import { setTimeout as sleep } from 'node:timers/promises';
import { ManagedProcess } from '../tools/managed-process.js';

const POLL_INTERVAL_MS = 250;

/** Polls `probe` until it holds, failing early with the component's log when it exits and late when `timeoutMs` runs out. */
export async function waitUntilReady(component: ManagedProcess, what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (component.hasExited) throw new Error(`${what}: ${component.describe()}`);
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms: ${component.describe()}`);
    await sleep(POLL_INTERVAL_MS);
  }
}
