/** Why a message cannot be stored; the stable code travels in the dead-letter headers. */
export const rejectionCodes = [
  'invalid_json',
  'not_an_object',
  'too_large',
  'too_deep',
  'number_out_of_range',
  'missing_field',
  'wrong_type',
  'value_too_long',
  'nul_character',
  'invalid_timestamp',
  'database_rejected',
  'unprocessable',
] as const;
export type RejectionCode = (typeof rejectionCodes)[number];

/** A message that is the producer's fault: it will never store, so it goes to the dead-letter topic. */
export class EventRejection extends Error {
  readonly retryable = false;

  constructor(
    readonly code: RejectionCode,
    message: string,
  ) {
    super(message);
    this.name = 'EventRejection';
  }
}
