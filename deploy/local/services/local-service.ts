import { rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { registerExitCleanup } from '../system/process-exit-cleanup.js';
import type { ServiceProcess } from './service-process.js';
import { waitForReadiness } from './wait-for-readiness.js';

/**
 * What a locally started server (a Kafka broker, a PostgreSQL) does the same way: one process at a time,
 * restartable on its work dir, a stop that concurrent callers share, and a destroy that stops it and
 * deletes its files — also when this Node process exits or is signalled.
 */
export abstract class LocalService {
  protected process: ServiceProcess | undefined;
  private stopping: Promise<void> | undefined;
  private destroying: Promise<void> | undefined;
  private readonly unregisterExitCleanup: () => void;

  constructor(readonly workDir: string) {
    this.unregisterExitCleanup = registerExitCleanup({
      killNow: () => {
        this.killNowSync();
        rmSync(workDir, { recursive: true, force: true, maxRetries: 5 });
      },
      shutdown: () => this.destroy(),
    });
  }

  get isRunning(): boolean {
    return this.process !== undefined && !this.process.hasExited;
  }

  /** Graceful shutdown; its data is kept for a later start. */
  stop(): Promise<void> {
    this.stopping ??= this.stopProcess().finally(() => {
      this.stopping = undefined;
    });
    return this.stopping;
  }

  /** Stops the service and deletes its files. */
  destroy(): Promise<void> {
    this.destroying ??= (async () => {
      try {
        await this.stop();
      } finally {
        this.unregisterExitCleanup();
        await rm(this.workDir, { recursive: true, force: true, maxRetries: 5 });
      }
    })();
    return this.destroying;
  }

  /** SIGKILL, as in a crash; its data is kept. */
  abstract kill(): Promise<void>;

  protected abstract stopProcess(): Promise<void>;

  /** The last resort from the process 'exit' event, where nothing asynchronous can run. */
  protected abstract killNowSync(): void;

  /** Adopts a spawned process and waits until it serves; a process that never does is killed. */
  protected async awaitReady(service: ServiceProcess, isReady: () => Promise<boolean>, timeoutMs: number, logFile: string): Promise<void> {
    this.process = service;
    try {
      await waitForReadiness({ service, isReady, timeoutMs, logFile });
    } catch (error) {
      await this.kill();
      throw error;
    }
  }
}
