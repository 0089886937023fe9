import { createHash, randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { readdir, realpath, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathExists } from './path-exists.js';
import type { ExitStatus } from './service-process.js';

/**
 * A HotSpot class-data-sharing archive of the broker's classes ("dynamic AppCDS"). A broker started
 * with it maps its classes from the archive instead of loading them from jars, which cuts its startup
 * time by about a third on a 2-core machine. While no archive fits, a broker records one at exit,
 * which is kept if that broker shut down cleanly.
 */
export class ClassDataArchive {
  private recording: string | undefined;

  private constructor(private readonly archiveFile: string) {}

  static async locate(runtimeDir: string, libsDir: string, java: string): Promise<ClassDataArchive> {
    // An archive only fits the JVM build and the exact jar files it was recorded with (HotSpot checks and
    // otherwise ignores it), so those are the key: a Java upgrade or re-extracted jars get a new archive.
    const javaBinary = await realpath(java);
    const jars = (await readdir(libsDir)).sort().map((jar) => join(libsDir, jar));
    const fingerprint = createHash('sha256');
    for (const file of [javaBinary, ...jars]) {
      const { size, mtimeMs } = await stat(file);
      fingerprint.update(`${file}\t${size}\t${mtimeMs}\n`);
    }
    return new ClassDataArchive(join(runtimeDir, `class-data-${fingerprint.digest('hex').slice(0, 12)}.jsa`));
  }

  /** JVM flags for the next broker start: use the archive, or record one at exit. */
  async jvmFlags(): Promise<string[]> {
    if (await pathExists(this.archiveFile)) {
      this.recording = undefined;
      return [`-XX:SharedArchiveFile=${this.archiveFile}`];
    }
    this.recording = `${this.archiveFile}.${process.pid}-${randomBytes(4).toString('hex')}.partial`;
    return [`-XX:ArchiveClassesAtExit=${this.recording}`];
  }

  /** After the broker exited: keeps a recorded archive if the JVM exited on its own (so it finished writing it). */
  async brokerExited(status: ExitStatus): Promise<void> {
    const recording = this.recording;
    if (recording === undefined) return;
    this.recording = undefined;
    if (status.signal === null && status.spawnError === undefined && (await pathExists(recording))) {
      await rename(recording, this.archiveFile);
    } else {
      await rm(recording, { force: true });
    }
  }

  /** For the exit cleanup, after the broker was SIGKILLed: a half-written recording must not stay in the cache. */
  discardRecordingSync(): void {
    if (this.recording !== undefined) rmSync(this.recording, { force: true });
  }
}
