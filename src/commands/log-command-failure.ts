import type { Logger } from 'pino';
import { diagnoseConnectionFailure, type ConnectionSettings } from '../connection/connection-failure.js';
import { failureFields } from '../process/describe-error.js';

/**
 * Logs why a one-shot command failed, in one line: a connection failure in words with the setting to
 * fix (`migrate failed: PostgreSQL db:5432: unknown CA: ...`), anything else as failureFields has it.
 */
export function logCommandFailure(logger: Logger, error: unknown, settings: ConnectionSettings, what: string): void {
  const failure = diagnoseConnectionFailure(error, settings);
  if (failure === undefined) logger.error(failureFields(error), what);
  else logger.error({ code: failure.code }, `${what}: ${failure.message}`);
}
