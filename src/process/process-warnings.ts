import type { Logger } from 'pino';

/**
 * Node's process warnings as JSON log lines at `warn` instead of its own text on stderr, so that every
 * line a command writes can be parsed. (kafkajs on Node 24 sets a timer with a negative delay after a
 * failed SASL login, which Node reports as a TimeoutNegativeWarning: harmless, and now one log line.)
 * Replaces Node's default listener, which is what prints them.
 */
export function logProcessWarnings(logger: Logger): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => logger.warn({ warning: warning.name }, warning.message));
}
