import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const OWNER_FILE = 'owner.pid';
// A lock directory without an owner file is being created right now, unless it is older than this.
const OWNERLESS_LOCK_GRACE_MS = 60_000;

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function isStale(lockDir: string): Promise<boolean> {
  try {
    const owner = Number.parseInt(await fs.readFile(path.join(lockDir, OWNER_FILE), 'utf8'), 10);
    return Number.isFinite(owner) && !isProcessAlive(owner);
  } catch {
    try {
      const stat = await fs.stat(lockDir);
      return Date.now() - stat.mtimeMs > OWNERLESS_LOCK_GRACE_MS;
    } catch {
      return false; // Lock vanished meanwhile: simply retry.
    }
  }
}

/**
 * Cross-process mutual exclusion through an atomic `mkdir`, so that parallel test
 * processes do not build the same multi-minute binary twice. Stale locks of dead
 * processes are broken.
 */
export async function withFileLock<T>(lockDir: string, work: () => Promise<T>): Promise<T> {
  await fs.mkdir(path.dirname(lockDir), { recursive: true });
  for (;;) {
    try {
      await fs.mkdir(lockDir);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (await isStale(lockDir)) await fs.rm(lockDir, { recursive: true, force: true });
      else await sleep(1000);
    }
  }
  try {
    await fs.writeFile(path.join(lockDir, OWNER_FILE), String(process.pid));
    return await work();
  } finally {
    await fs.rm(lockDir, { recursive: true, force: true });
  }
}
