import { isStorableTimestamp } from '../db/timestamptz-micros.js';

/** Where a row's timestamp came from: the event's `timestamp`, `payload.timestamp`, or the Kafka record. */
export type TimestampSource = 'event' | 'payload' | 'record';

/** The instant a row is stored at, and whether a given timestamp was passed over to find it. */
export interface EventTime {
  timestamp: string;
  source: TimestampSource;
  /** True when an earlier source held a value that is not a valid time, kept in `event_data` instead. */
  fellBack: boolean;
}

// The last millisecond of year 9999: later instants have no RFC 3339 form (toISOString gives +010000-…).
const latestRecordMillis = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

function isGiven(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

/** True when the field holds a date-time PostgreSQL stores as written. */
export function isValidEventTime(value: unknown): value is string {
  return typeof value === 'string' && isStorableTimestamp(value);
}

/** The record's timestamp as RFC 3339, or null when Kafka gave none (-1) or one outside years 1970–9999. */
export function recordTime(epochMillis: string): string | null {
  const millis = Number(epochMillis);
  if (!Number.isSafeInteger(millis) || millis < 0 || millis > latestRecordMillis) return null;
  return new Date(millis).toISOString();
}

/**
 * The first valid time of the event's `timestamp`, `payload.timestamp` and the record's timestamp, or
 * null when none is valid. Never the wall clock: a replay must store the same row.
 */
export function chooseEventTime(eventTimestamp: unknown, payloadTimestamp: unknown, recordTimestamp: string): EventTime | null {
  if (isValidEventTime(eventTimestamp)) return { timestamp: eventTimestamp, source: 'event', fellBack: false };
  let fellBack = isGiven(eventTimestamp);
  if (isValidEventTime(payloadTimestamp)) return { timestamp: payloadTimestamp, source: 'payload', fellBack };
  fellBack ||= isGiven(payloadTimestamp);
  const fromRecord = recordTime(recordTimestamp);
  return fromRecord === null ? null : { timestamp: fromRecord, source: 'record', fellBack };
}
