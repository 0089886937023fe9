import { CopyEncodingError } from './copy-encoding-error.js';

const rfc3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

// PostgreSQL's timestamptz input stops at ±15:59 (MAX_TZDISP_HOUR).
const maxOffsetHours = 15;

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

const daysBeforeMonth = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Days from 0001-01-01 to the given proleptic Gregorian date. */
function daysFromYearOne(year: number, month: number, day: number): number {
  const y = year - 1;
  const leap = month > 2 && isLeapYear(year) ? 1 : 0;
  return y * 365 + Math.floor(y / 4) - Math.floor(y / 100) + Math.floor(y / 400) + (daysBeforeMonth[month - 1] ?? 0) + leap + day - 1;
}

const postgresEpochDay = daysFromYearOne(2000, 1, 1);

/**
 * PostgreSQL's rounding of a fraction of a second: `rint(strtod(fraction) * 1000000)` in doubles
 * (src/backend/utils/adt/datetime.c, ParseFractionalSecond). Both `Number()` and strtod round correctly,
 * the product is the same IEEE multiplication, and rint rounds half to even; so this matches it bit for
 * bit, ties and double-rounding cases included (".0000005" is not exactly half a microsecond as a double).
 */
export function fractionMicros(fraction: string): number {
  const scaled = Number(fraction) * 1_000_000;
  const floor = Math.floor(scaled);
  const rest = scaled - floor;
  if (rest > 0.5) return floor + 1;
  if (rest < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * Microseconds since 2000-01-01 00:00:00 UTC, the int64 of timestamptz's binary form, for an RFC 3339
 * date-time: the same instant PostgreSQL's text input stores. Second 60 and a fraction that rounds up to
 * a whole second roll over into the next minute, as PostgreSQL does, up to 24:00:00 (23:59:60.5 is refused).
 * Throws a CopyEncodingError (22007, 22008) for text PostgreSQL would refuse or this service does not store.
 */
export function timestamptzMicros(text: string): bigint {
  const match = rfc3339.exec(text);
  if (match === null) throw new CopyEncodingError('22007', 'timestamp', `not an RFC 3339 date-time: ${JSON.stringify(text.slice(0, 100))}`);
  const [, yearText, monthText, dayText, hourText, minuteText, secondText, fraction, zulu, sign, offsetHourText, offsetMinuteText] = match;
  const year = Number(yearText);
  const month = Number(monthText);
  const day = Number(dayText);
  const hour = Number(hourText);
  const minute = Number(minuteText);
  const second = Number(secondText);
  const offsetHours = zulu === undefined ? Number(offsetHourText) : 0;
  const offsetMinutes = zulu === undefined ? Number(offsetMinuteText) : 0;
  if (
    year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) ||
    hour > 23 || minute > 59 || second > 60 || offsetHours > maxOffsetHours || offsetMinutes > 59
  ) {
    throw new CopyEncodingError('22008', 'timestamp', `a field is out of range: ${JSON.stringify(text)}`);
  }
  const micros = fraction === undefined ? 0 : fractionMicros(fraction);
  const secondOfDay = hour * 3_600 + minute * 60 + second;
  // PostgreSQL's time_overflows(): second 60 is allowed, but not a time of day past 24:00:00 once rounded.
  if (secondOfDay * 1_000_000 + micros > 86_400 * 1_000_000) {
    throw new CopyEncodingError('22008', 'timestamp', `the time of day is past 24:00:00: ${JSON.stringify(text)}`);
  }
  const offsetSeconds = (sign === '-' ? -1 : 1) * (offsetHours * 3_600 + offsetMinutes * 60);
  const seconds = (daysFromYearOne(year, month, day) - postgresEpochDay) * 86_400 + secondOfDay - offsetSeconds;
  return BigInt(seconds) * 1_000_000n + BigInt(micros);
}

/**
 * True when `text` is an RFC 3339 date-time that PostgreSQL's timestamptz input takes: exactly the texts
 * timestamptzMicros encodes. The text itself is what gets stored, so PostgreSQL keeps its microseconds,
 * which a JavaScript Date would cut to milliseconds.
 */
export function isStorableTimestamp(text: string): boolean {
  try {
    timestamptzMicros(text);
    return true;
  } catch (error) {
    if (error instanceof CopyEncodingError) return false;
    throw error;
  }
}
