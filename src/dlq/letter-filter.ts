import type { DeadLetterRecord } from './dead-letter-record.js';

/**
 * Which letters a `dlq` command takes. Every given criterion must hold; none given takes every letter.
 * Times are the original record's timestamp (when the event was produced, not when it was refused), and
 * offsets are the original topic's, so that a window of the producer's bug can be named as it happened.
 */
export interface LetterFilter {
  reasons?: readonly string[];
  /** Inclusive. */
  since?: Date;
  /** Exclusive. */
  until?: Date;
  partition?: number;
  /** Inclusive range of original offsets (with `partition`). */
  offsets?: { from: bigint; to: bigint };
}

export function matchesFilter(record: DeadLetterRecord, filter: LetterFilter): boolean {
  const { original } = record;
  if (filter.reasons !== undefined && !filter.reasons.includes(record.reason)) return false;
  const time = Number(original.timestamp);
  if (filter.since !== undefined && !(time >= filter.since.getTime())) return false;
  if (filter.until !== undefined && !(time < filter.until.getTime())) return false;
  if (filter.partition !== undefined && original.partition !== filter.partition) return false;
  if (filter.offsets !== undefined) {
    const offset = BigInt(original.offset);
    if (offset < filter.offsets.from || offset > filter.offsets.to) return false;
  }
  return true;
}
