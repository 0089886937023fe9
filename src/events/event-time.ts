import { isStorableTimestamp, timestamptzMicros } from '../db/timestamptz-micros.js';

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

const microsPerDay = 86_400_000_000n;

/** Whether a valid `time` lies within `maxSkewDays` of the record's time; always with 0 or no record time to measure from. */
function withinSkew(time: string, record: string | null, maxSkewDays: number): boolean {
  if (maxSkewDays === 0 || record === null) return true;
  const distance = timestamptzMicros(time) - timestamptzMicros(record);
  return (distance < 0n ? -distance : distance) <= BigInt(maxSkewDays) * microsPerDay;
}

/**
 * The first valid time of the event's `timestamp`, `payload.timestamp` and the record's timestamp, or
 * null when none is valid. A given time more than `maxSkewDays` (0: no limit) from the record's timestamp
 * counts as invalid. Never the wall clock: a replay must store the same row.
 */
export function chooseEventTime(eventTimestamp: unknown, payloadTimestamp: unknown, recordTimestamp: string, maxSkewDays = 0): EventTime | null {
  // The record's time as text costs a Date per event: made only when a skew limit or a fallback needs it.
  let fromRecord: string | null | undefined;
  const record = (): string | null => (fromRecord === undefined ? (fromRecord = recordTime(recordTimestamp)) : fromRecord);
  const usable = (value: unknown): value is string => isValidEventTime(value) && (maxSkewDays === 0 || withinSkew(value, record(), maxSkewDays));
  if (usable(eventTimestamp)) return { timestamp: eventTimestamp, source: 'event', fellBack: false };
  let fellBack = isGiven(eventTimestamp);
  if (usable(payloadTimestamp)) return { timestamp: payloadTimestamp, source: 'payload', fellBack };
  fellBack ||= isGiven(payloadTimestamp);
  const fallback = record();
  return fallback === null ? null : { timestamp: fallback, source: 'record', fellBack };
}
