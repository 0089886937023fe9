import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { lastLines } from '../system/log-tail.js';

/** A long-running child whose stdout and stderr go to a log file. */
export class ManagedProcess {
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  #exitDescription: string | undefined;

  constructor(
    readonly name: string,
    binary: string,
    args: readonly string[],
    readonly logFile: string,
  ) {
    const log = fs.openSync(logFile, 'a');
    try {
      this.#child = spawn(binary, args, { stdio: ['ignore', log, log] });
    } finally {
      fs.closeSync(log); // The child holds its own descriptor.
    }
    this.#exited = new Promise((resolve) => {
      this.#child.on('exit', (code, signal) => {
        this.#exitDescription = signal !== null ? `signal ${signal}` : `exit code ${String(code)}`;
        resolve();
      });
      this.#child.on('error', (error) => {
        this.#exitDescription = `spawn error: ${error.message}`;
        resolve();
      });
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get hasExited(): boolean {
    return this.#exitDescription !== undefined;
  }

  /** Its state plus the end of its log, for error messages. */
  describe(): string {
    let log = '';
    try {
      log = lastLines(fs.readFileSync(this.logFile, 'utf8'), 30);
    } catch {
      // No log to show.
    }
    const state = this.#exitDescription === undefined ? 'is still running' : `exited (${this.#exitDescription})`;
    return `${this.name} ${state}; last lines of ${this.logFile}:\n${log}`;
  }

  /** Synchronous last resort for process-exit handlers. */
  killNow(): void {
    if (!this.hasExited) this.#child.kill('SIGKILL');
  }

  async stop(graceMs = 10_000): Promise<void> {
    if (this.hasExited) return;
    this.#child.kill('SIGTERM');
    const exitedInTime = await Promise.race([this.#exited.then(() => true), sleep(graceMs, undefined, { ref: false }).then(() => false)]);
    if (!exitedInTime) {
      this.#child.kill('SIGKILL');
      await this.#exited;
    }
  }
}
