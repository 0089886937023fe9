/**
 * An error's message for a log line or a probe, without its stack. Node reports a refused connection to
 * a name with several addresses as an AggregateError with an empty message; its inner errors say why.
 */
export function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.message === '') {
    return error.errors.map(describeError).join('; ');
  }
  return error instanceof Error ? error.message : String(error);
}

/** The stable code of an expected condition: a string `code` (Node, pg, ours), or kafkajs's error type or name. */
function conditionCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  if ('code' in error && typeof error.code === 'string') return error.code;
  if (!(error instanceof Error) || !error.name.startsWith('KafkaJS')) return undefined;
  return 'type' in error && typeof error.type === 'string' ? error.type : error.name;
}

/**
 * Log fields for a failure: an error with a code (a refused connection, an SQLSTATE, a broker's answer,
 * one of ours) is an expected condition and gets its code and message; anything else is a bug and keeps
 * its stack.
 */
export function failureFields(error: unknown): { code: string; reason: string } | { err: unknown } {
  const code = conditionCode(error);
  return code === undefined ? { err: error } : { code, reason: describeError(error) };
}
