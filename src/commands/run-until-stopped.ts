import type { Logger } from 'pino';
import { exitCodes } from './exit-codes.js';

/** A long-running command between its start and its exit code. */
export interface ServiceRun {
  /** Resolves with the process exit code once the service has stopped. */
  exitCode: Promise<number>;
  /** Stops the service; the first request runs `shutdown`, a second one exits at once with a failure. */
  stop(exitCode: number, reason: string): void;
}

/**
 * The shutdown of a long-running command: SIGTERM and SIGINT stop it with exit 0, `stop` with any code.
 * `shutdown` gets `graceMs` to finish, after which the command exits with a failure anyway.
 */
export function runUntilStopped(name: string, logger: Logger, graceMs: number, shutdown: () => Promise<void>): ServiceRun {
  let resolveExit: (code: number) => void = () => undefined;
  const exitCode = new Promise<number>((resolve) => (resolveExit = resolve));
  let stopping = false;

  const stop = async (code: number, reason: string): Promise<void> => {
    if (stopping) {
      logger.warn({ reason }, 'second stop request: exiting now');
      resolveExit(exitCodes.failure);
      return;
    }
    stopping = true;
    logger.info({ reason, graceMs }, `stopping ${name}`);
    const grace = setTimeout(() => {
      logger.error({ graceMs }, 'shutdown grace period exceeded: exiting without a clean stop');
      resolveExit(exitCodes.failure);
    }, graceMs);
    try {
      await shutdown();
      logger.info(`${name} stopped`);
      resolveExit(code);
    } catch (error) {
      logger.error({ err: error }, 'error while stopping');
      resolveExit(exitCodes.failure);
    } finally {
      clearTimeout(grace);
    }
  };
  process.on('SIGTERM', () => void stop(exitCodes.ok, 'SIGTERM'));
  process.on('SIGINT', () => void stop(exitCodes.ok, 'SIGINT'));
  return { exitCode, stop: (code, reason) => void stop(code, reason) };
}
