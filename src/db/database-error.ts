/**
 * SQLSTATEs that mean "this row's values", never "the database is unwell". Anything else (a sequence at
 * its limit, 2200H; a lost connection; a permission) is the world's fault and is retried, because
 * retrying never loses an event.
 *
 * Some name the value alone, whatever the table: a date-time the server cannot read or hold (22007,
 * 22008, 22009) and text it cannot represent (22P02, 22P05, 22021).
 */
const valueRejectionStates = new Set(['22007', '22008', '22009', '22P02', '22P05', '22021']);
/**
 * The others name the value against the table's definition, so a change of the table can cause them for
 * every row: a value too long (22001) or out of range (22003), a NULL or CHECK violation (23502, 23514),
 * an index row too large (54000).
 */
const tableRejectionStates = new Set(['22001', '22003', '23502', '23514', '54000']);

function sqlState(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const { code } = error;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** True when PostgreSQL refused the data itself, so writing the same rows again can never succeed. */
export function isRowRejection(error: unknown): boolean {
  const state = sqlState(error);
  return state !== undefined && (valueRejectionStates.has(state) || tableRejectionStates.has(state));
}

/** True when PostgreSQL refused a value that no table could take: the row's fault, however many rows share it. */
export function isValueRejection(error: unknown): boolean {
  const state = sqlState(error);
  return state !== undefined && valueRejectionStates.has(state);
}

/** True when a row's Kafka coordinates are stored already: a unique violation (23505). */
export function isUniqueViolation(error: unknown): boolean {
  return sqlState(error) === '23505';
}

/** The database's own words for a rejection, for the dead-letter headers. */
export function describeRowRejection(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return `${sqlState(error) ?? 'unknown'}: ${message}`;
}

/**
 * PostgreSQL refused every row of a batch for what the table allows. Rows that are all bad at once point
 * at the table (a new constraint, a narrowed column) more than at the producer, so the batch is retried,
 * not dead-lettered; a truly bad row is dead-lettered as soon as it shares a batch with a good one. Rows
 * refused for their value alone (isValueRejection) are always dead-lettered and never count here.
 */
export class EveryRowRefusedError extends Error {
  readonly retryable = true;
  readonly code = 'every_row_refused';

  constructor(
    readonly rows: number,
    readonly reason: string,
  ) {
    super(`PostgreSQL refused all ${rows} rows of the batch (${reason}); retrying instead of dead-lettering them`);
    this.name = 'EveryRowRefusedError';
  }
}
