import { setTimeout as sleep } from 'node:timers/promises';
import { readLogTail } from '../system/log-tail.js';
import { describeExit, type ServiceProcess } from './service-process.js';

export interface ReadinessWait {
  readonly service: ServiceProcess;
  /** Probes the service once; must not throw for "not ready yet". */
  readonly isReady: () => Promise<boolean>;
  readonly timeoutMs: number;
  readonly logFile: string;
  readonly intervalMs?: number;
}

/** Polls until the service answers; fails with the log tail if it exits or times out first. */
export async function waitForReadiness({ service, isReady, timeoutMs, logFile, intervalMs = 250 }: ReadinessWait): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (service.hasExited) {
      const status = await service.exited;
      throw new Error(`${service.name} ${describeExit(status)} during startup.\n${await readLogTail(logFile)}`);
    }
    if (await isReady()) return;
    if (Date.now() > deadline) {
      throw new Error(`${service.name} (pid ${service.pid}) was not ready within ${timeoutMs} ms.\n${await readLogTail(logFile)}`);
    }
    await sleep(intervalMs);
  }
}
