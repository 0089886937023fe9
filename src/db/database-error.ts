/**
 * SQLSTATE classes that mean "this row's data", not "the database is unwell": data exceptions (22),
 * integrity constraint violations (23) and program limits such as an index row too large (54).
 * Any other failure is treated as transient and retried, because retrying never loses an event.
 */
const rowRejectionClasses = new Set(['22', '23', '54']);

function sqlState(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const { code } = error;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** True when PostgreSQL refused the data itself, so writing the same rows again can never succeed. */
export function isRowRejection(error: unknown): boolean {
  const state = sqlState(error);
  return state !== undefined && rowRejectionClasses.has(state.slice(0, 2));
}

/** The database's own words for a rejection, for the dead-letter headers. */
export function describeRowRejection(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return `${sqlState(error) ?? 'unknown'}: ${message}`;
}
