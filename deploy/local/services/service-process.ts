import { spawn, type ChildProcess } from 'node:child_process';
import { open } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { guardAgainstOrphaning } from './orphan-guard.js';
import { sendSignal } from '../system/process-liveness.js';

const SIGKILL_GRACE_MS = 10_000;

export interface ServiceProcessSpec {
  /** Human-readable name used in error messages, e.g. "Kafka broker". */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** stdout and stderr are appended here. */
  readonly logFile: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Run as this user (requires root). */
  readonly uid?: number;
  readonly gid?: number;
  /** Signal the orphan guard sends if this Node process dies while the service runs. */
  readonly orphanSignal: NodeJS.Signals;
  /** Removed by the orphan guard after it stopped the service. */
  readonly workDir: string;
}

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly spawnError?: Error;
}

/** A long-running server process whose output goes to a log file. */
export class ServiceProcess {
  private exitStatus: ExitStatus | undefined;

  private constructor(
    readonly name: string,
    readonly pid: number,
    /** Settles once the process has exited; never rejects. */
    readonly exited: Promise<ExitStatus>,
  ) {
    void exited.then((status) => (this.exitStatus = status));
  }

  static async spawn(spec: ServiceProcessSpec): Promise<ServiceProcess> {
    const log = await open(spec.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(spec.command, spec.args, {
        cwd: spec.cwd,
        env: spec.env ?? process.env,
        uid: spec.uid,
        gid: spec.gid,
        // Its own process group, so a Ctrl-C in the terminal reaches only us and we shut it down in order.
        detached: true,
        stdio: ['ignore', log.fd, log.fd],
      });
    } finally {
      await log.close();
    }
    const exited = new Promise<ExitStatus>((resolve) => {
      child.once('error', (spawnError) => resolve({ code: null, signal: null, spawnError }));
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    if (child.pid === undefined) {
      const status = await exited;
      throw new Error(`Could not start ${spec.name} (\`${spec.command}\`): ${describeExit(status)}`);
    }
    // Nothing of ours keeps Node alive for it: a test that forgets to stop it still exits (and the exit cleanup kills it).
    child.unref();
    guardAgainstOrphaning(child.pid, spec.orphanSignal, spec.workDir);
    return new ServiceProcess(spec.name, child.pid, exited);
  }

  get hasExited(): boolean {
    return this.exitStatus !== undefined;
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.hasExited) sendSignal(this.pid, signal);
  }

  /** Resolves true if the process exited within the timeout. The timer also keeps Node alive while waiting. */
  async waitForExit(timeoutMs: number): Promise<boolean> {
    if (this.hasExited) return true;
    const timeout = new AbortController();
    const exitedInTime = await Promise.race([
      this.exited.then(() => true),
      sleep(timeoutMs, false, { signal: timeout.signal }).catch(() => false),
    ]);
    timeout.abort();
    return exitedInTime;
  }

  /** Sends `signal`, and SIGKILL if the process is still there after `timeoutMs`; resolves with its exit once it is gone. */
  async stop(signal: NodeJS.Signals, timeoutMs: number): Promise<ExitStatus> {
    this.signal(signal);
    if (!(await this.waitForExit(timeoutMs))) {
      this.signal('SIGKILL');
      if (!(await this.waitForExit(SIGKILL_GRACE_MS))) throw new Error(`${this.name} (pid ${this.pid}) survived SIGKILL`);
    }
    return this.exited;
  }
}

export function describeExit(status: ExitStatus): string {
  if (status.spawnError !== undefined) return status.spawnError.message;
  if (status.signal !== null) return `was killed by ${status.signal}`;
  return `exited with code ${String(status.code)}`;
}
