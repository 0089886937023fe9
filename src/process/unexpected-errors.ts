import type { Logger } from 'pino';

/**
 * The process-wide policy for what nobody expected: an uncaught exception or an unhandled rejection is
 * logged once, as `fatal` with the error and where it surfaced, and `stop` ends the process with a
 * failure (a consumer leaves its group first). Nothing dies silently, nothing lives on in doubt.
 */
export function stopOnUnexpectedErrors(logger: Logger, stop: (reason: string) => void): void {
  const onUnexpected = (origin: string) => (error: unknown): void => {
    logger.fatal({ err: error, origin }, `${origin}: stopping`);
    stop(origin);
  };
  process.on('uncaughtException', onUnexpected('uncaught exception'));
  process.on('unhandledRejection', onUnexpected('unhandled rejection'));
}
