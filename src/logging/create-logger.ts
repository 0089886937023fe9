import { pino, type Logger } from 'pino';
import type { LogLevel } from '../config/config-schema.js';

/** JSON lines on stdout; level names instead of numbers so `jq 'select(.level=="error")'` works. */
export function createLogger(level: LogLevel): Logger {
  return pino({
    level,
    base: { service: 'todo-history' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    // Defence in depth: secrets are redacted before logging, and these paths never print even by mistake.
    redact: { paths: ['password', '*.password', '*.*.password', '*.*.*.password'], censor: '[redacted]' },
  });
}
