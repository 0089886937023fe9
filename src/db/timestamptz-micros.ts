import { CopyEncodingError } from './copy-encoding-error.js';

// PostgreSQL's timestamptz input stops at ±15:59 (MAX_TZDISP_HOUR).
const maxOffsetHours = 15;

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

const daysBeforeMonth = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
const thirtyDayMonths = new Set([4, 6, 9, 11]);

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return thirtyDayMonths.has(month) ? 30 : 31;
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

/** Why PostgreSQL's timestamptz input refuses a text: not a date-time (22007), or a field out of range (22008). */
interface Refusal {
  code: '22007' | '22008';
  reason: string;
}

/** An instant as whole seconds since 2000-01-01 00:00:00 UTC plus microseconds, both exact in doubles. */
interface Instant {
  seconds: number;
  micros: number;
}

function notDateTime(text: string): Refusal {
  return { code: '22007', reason: `not an RFC 3339 date-time: ${JSON.stringify(text.slice(0, 100))}` };
}

const zero = 0x30;
const nine = 0x39;

/** The decimal number of `count` digits at `at`, or -1 when one of them is not an ASCII digit. */
function digitsAt(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i += 1) {
    const code = text.charCodeAt(i);
    // NaN past the text's end fails this too.
    if (!(code >= zero && code <= nine)) return -1;
    value = value * 10 + code - zero;
  }
  return value;
}

/**
 * Reads `YYYY-MM-DD[Tt ]hh:mm:ss[.f{1,9}](Z|z|±hh:mm)` (RFC 3339 as PostgreSQL takes it) character by
 * character: every event's time is read here, and a regular expression's captures cost more than the rest.
 */
function parseTimestamp(text: string): Instant | Refusal {
  if (text.length < 20 || text.length > 35) return notDateTime(text);
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  const separator = text[10];
  if (
    year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0 ||
    text[4] !== '-' || text[7] !== '-' || (separator !== 'T' && separator !== 't' && separator !== ' ') || text[13] !== ':' || text[16] !== ':'
  ) {
    return notDateTime(text);
  }
  let at = 19;
  let fraction: string | undefined;
  if (text[at] === '.') {
    let end = at + 1;
    while (end < text.length && end - at <= 9 && text.charCodeAt(end) >= zero && text.charCodeAt(end) <= nine) end += 1;
    if (end === at + 1) return notDateTime(text);
    fraction = text.slice(at, end);
    at = end;
  }
  let offsetHours = 0;
  let offsetMinutes = 0;
  let sign = 1;
  const zone = text[at];
  if (zone === 'Z' || zone === 'z') {
    if (text.length !== at + 1) return notDateTime(text);
  } else if (zone === '+' || zone === '-') {
    offsetHours = digitsAt(text, at + 1, 2);
    offsetMinutes = digitsAt(text, at + 4, 2);
    if (text.length !== at + 6 || offsetHours < 0 || offsetMinutes < 0 || text[at + 3] !== ':') return notDateTime(text);
    if (zone === '-') sign = -1;
  } else {
    return notDateTime(text);
  }
  if (
    year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) ||
    hour > 23 || minute > 59 || second > 60 || offsetHours > maxOffsetHours || offsetMinutes > 59
  ) {
    return { code: '22008', reason: `a field is out of range: ${JSON.stringify(text)}` };
  }
  const micros = fraction === undefined ? 0 : fractionMicros(fraction);
  const secondOfDay = hour * 3_600 + minute * 60 + second;
  // PostgreSQL's time_overflows(): second 60 is allowed, but not a time of day past 24:00:00 once rounded.
  if (secondOfDay * 1_000_000 + micros > 86_400 * 1_000_000) {
    return { code: '22008', reason: `the time of day is past 24:00:00: ${JSON.stringify(text)}` };
  }
  const offsetSeconds = sign * (offsetHours * 3_600 + offsetMinutes * 60);
  return { seconds: (daysFromYearOne(year, month, day) - postgresEpochDay) * 86_400 + secondOfDay - offsetSeconds, micros };
}

/**
 * Microseconds since 2000-01-01 00:00:00 UTC, the int64 of timestamptz's binary form, for an RFC 3339
 * date-time: the same instant PostgreSQL's text input stores. Second 60 and a fraction that rounds up to
 * a whole second roll over into the next minute, as PostgreSQL does, up to 24:00:00 (23:59:60.5 is refused).
 * Throws a CopyEncodingError (22007, 22008) for text PostgreSQL would refuse or this service does not store.
 */
export function timestamptzMicros(text: string): bigint {
  const parsed = parseTimestamp(text);
  if ('code' in parsed) throw new CopyEncodingError(parsed.code, 'timestamp', parsed.reason);
  const total = parsed.seconds * 1_000_000 + parsed.micros;
  // Exact in a double for ±285 years around 2000; one BigInt then instead of four.
  return Number.isSafeInteger(total) ? BigInt(total) : BigInt(parsed.seconds) * 1_000_000n + BigInt(parsed.micros);
}

/**
 * True when `text` is an RFC 3339 date-time that PostgreSQL's timestamptz input takes: exactly the texts
 * timestamptzMicros encodes. The text itself is what gets stored, so PostgreSQL keeps its microseconds,
 * which a JavaScript Date would cut to milliseconds.
 */
export function isStorableTimestamp(text: string): boolean {
  return !('code' in parseTimestamp(text));
}
