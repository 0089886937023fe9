import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isProcessAlive } from './process-liveness.js';

const POLL_INTERVAL_MS = 500;

/**
 * Runs `work` while holding an exclusive lock shared by all processes on this machine,
 * so parallel test files do not download into the same cache at once.
 * The lock is a directory (mkdir is atomic); a lock whose owner died is taken over.
 */
export async function withFileLock<T>(lockDir: string, work: () => Promise<T>, timeoutMs = 15 * 60_000): Promise<T> {
  await acquire(lockDir, timeoutMs);
  try {
    return await work();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}

async function acquire(lockDir: string, timeoutMs: number): Promise<void> {
  await mkdir(dirname(lockDir), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await mkdir(lockDir);
      await writeFile(join(lockDir, 'owner-pid'), String(process.pid));
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const ownerPid = await readOwnerPid(lockDir);
    if (ownerPid !== undefined && !isProcessAlive(ownerPid)) {
      await rm(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for lock ${lockDir} held by pid ${String(ownerPid)}`);
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

async function readOwnerPid(lockDir: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await readFile(join(lockDir, 'owner-pid'), 'utf8'), 10);
    return Number.isInteger(pid) ? pid : undefined;
  } catch {
    // The owner has created the directory but not yet written its pid.
    return undefined;
  }
}
