/**
 * SQLSTATEs PostgreSQL's own text input gives for the same values, so `isRowRejection` treats a value
 * the binary COPY encoder cannot carry exactly like a value the INSERT path's server would refuse.
 */
export type CopyEncodingState =
  /** invalid_datetime_format: not an RFC 3339 date-time */
  | '22007'
  /** datetime_field_overflow: a field out of its range (month 13, February 30, offset +16:00) */
  | '22008'
  /** numeric_value_out_of_range: a partition or offset that int4/int8 cannot hold */
  | '22003'
  /** invalid_text_representation: an offset that is not a decimal integer */
  | '22P02'
  /** character_not_in_repertoire: a string with an unpaired UTF-16 surrogate, which UTF-8 cannot encode */
  | '22021';

/**
 * One row's value cannot be written in PostgreSQL's binary COPY format. It is the row's fault, never the
 * database's: writing the same row again always fails the same way. Validation upstream should already
 * have refused such a row.
 */
export class CopyEncodingError extends Error {
  readonly retryable = false;

  constructor(
    readonly code: CopyEncodingState,
    readonly column: string,
    message: string,
  ) {
    super(`${column}: ${message}`);
    this.name = 'CopyEncodingError';
  }
}
