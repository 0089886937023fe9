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

/**
 * Log fields for a failure: an error with a code (a refused connection, an SQLSTATE, one of ours) is an
 * expected condition and gets its code and message; anything else is a bug and keeps its stack.
 */
export function failureFields(error: unknown): { code: string; reason: string } | { err: unknown } {
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  return typeof code === 'string' ? { code, reason: describeError(error) } : { err: error };
}
