const rfc3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

// RFC 3339 allows offsets up to ±23:59; PostgreSQL's timestamptz input stops at ±15:59.
const maxOffsetHours = 15;

/**
 * True when `text` is an RFC 3339 date-time that names a real instant PostgreSQL accepts. The text
 * itself is what gets stored, so PostgreSQL keeps its microseconds, which a JavaScript Date would cut
 * to milliseconds.
 */
export function isRfc3339(text: string): boolean {
  const match = rfc3339.exec(text);
  if (!match) return false;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const offset = match[8] ?? 'Z';
  const [offsetHours, offsetMinutes] = /^[Zz]$/.test(offset) ? [0, 0] : offset.slice(1).split(':').map(Number);
  return (
    year >= 1 &&
    month >= 1 && month <= 12 &&
    day >= 1 && day <= daysInMonth(year, month) &&
    hour <= 23 && minute <= 59 && second <= 60 &&
    (offsetHours ?? 0) <= maxOffsetHours && (offsetMinutes ?? 0) <= 59
  );
}
