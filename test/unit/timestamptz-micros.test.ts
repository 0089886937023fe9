import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CopyEncodingError } from '../../src/db/copy-encoding-error.js';
import { fractionMicros, isStorableTimestamp, timestamptzMicros } from '../../src/db/timestamptz-micros.js';

const postgresEpochMillis = Date.UTC(2000, 0, 1);
const runs = { numRuns: 2_000 };

function two(value: number): string {
  return String(value).padStart(2, '0');
}

/** RFC 3339 text of a millisecond instant Date can parse, at second ≤ 59, with any allowed offset. */
const millisecondText = fc
  .record({
    // Date.UTC reads years 0–99 as 1900–1999, so the earliest bound is parsed from its text.
    seconds: fc.integer({ min: Date.parse('0001-01-02T00:00:00Z') / 1000, max: Date.UTC(9999, 11, 30) / 1000 }),
    fraction: fc.stringMatching(/^\d{0,3}$/),
    offsetMinutes: fc.integer({ min: -(15 * 60 + 59), max: 15 * 60 + 59 }),
  })
  .map(({ seconds, fraction, offsetMinutes }) => {
    const local = new Date((seconds + offsetMinutes * 60) * 1000).toISOString().slice(0, 19);
    const sign = offsetMinutes < 0 ? '-' : '+';
    const offset = `${sign}${two(Math.floor(Math.abs(offsetMinutes) / 60))}:${two(Math.abs(offsetMinutes) % 60)}`;
    return { text: `${local}${fraction === '' ? '' : `.${fraction}`}${offset}`, millis: seconds * 1000 + Number(fraction.padEnd(3, '0')) };
  });

function encodingState(text: string): string | undefined {
  try {
    timestamptzMicros(text);
    return undefined;
  } catch (error) {
    assert.ok(error instanceof CopyEncodingError);
    return error.code;
  }
}

describe('timestamptzMicros', () => {
  it('counts from 2000-01-01 00:00:00 UTC', () => {
    assert.equal(timestamptzMicros('2000-01-01T00:00:00Z'), 0n);
    assert.equal(timestamptzMicros('1999-12-31T23:59:59.999999Z'), -1n);
    assert.equal(timestamptzMicros('2025-11-10T15:30:45.123456Z'), BigInt(Date.UTC(2025, 10, 10, 15, 30, 45, 123) - postgresEpochMillis) * 1000n + 456n);
  });

  it('subtracts the offset, up to ±15:59', () => {
    assert.equal(timestamptzMicros('2000-01-01T15:59:00+15:59'), 0n);
    assert.equal(timestamptzMicros('1999-12-31T08:01:00-15:59'), 0n);
    assert.equal(timestamptzMicros('2000-01-01t00:00:00z'), timestamptzMicros('2000-01-01 00:00:00-00:00'));
  });

  it('rolls second 60, and a fraction rounding up to a whole second, into the next minute', () => {
    assert.equal(timestamptzMicros('2016-12-31T23:59:60Z'), timestamptzMicros('2017-01-01T00:00:00Z'));
    assert.equal(timestamptzMicros('2016-12-31T23:58:60.9999996Z'), timestamptzMicros('2016-12-31T23:59:01Z'));
    assert.equal(timestamptzMicros('2025-06-15T12:30:60.5Z'), timestamptzMicros('2025-06-15T12:31:00.5Z'));
    assert.equal(timestamptzMicros('2025-06-15T23:59:60.0000005Z'), timestamptzMicros('2025-06-16T00:00:00Z'));
    assert.equal(timestamptzMicros('2025-06-15T23:59:59.9999996+02:00'), timestamptzMicros('2025-06-15T22:00:00Z'));
  });

  it('refuses a time of day past 24:00:00 once rounded, as PostgreSQL does (22008), and so does validation', () => {
    for (const text of ['2016-12-31T23:59:60.5Z', '2025-06-15T23:59:60.0000006Z', '9999-12-31T23:59:60.9999995-15:59']) {
      assert.equal(isStorableTimestamp(text), false, text);
      assert.equal(encodingState(text), '22008', text);
    }
  });

  it('covers years 0001 to 9999, leap days included', () => {
    assert.equal(timestamptzMicros('0001-01-01T00:00:00Z'), -63_082_281_600_000_000n);
    assert.equal(timestamptzMicros('9999-12-31T23:59:59.999999Z'), 252_455_615_999_999_999n);
    assert.equal(timestamptzMicros('2000-02-29T00:00:00Z'), 59n * 86_400_000_000n);
    assert.equal(timestamptzMicros('2024-03-01T00:00:00Z') - timestamptzMicros('2024-02-28T00:00:00Z'), 2n * 86_400_000_000n);
  });

  it('rounds to microseconds as PostgreSQL does: rint of the double, half to even', () => {
    assert.equal(fractionMicros('.1234564'), 123456);
    assert.equal(fractionMicros('.1234566'), 123457);
    assert.equal(fractionMicros('.0000005'), 0);
    assert.equal(fractionMicros('.0000015'), 2);
    assert.equal(fractionMicros('.0000025'), 2);
    assert.equal(fractionMicros('.123456500'), 123456);
    assert.equal(fractionMicros('.123457500'), 123458);
    assert.equal(fractionMicros('.9999995'), 1_000_000);
    assert.equal(fractionMicros('.999999499'), 999_999);
    assert.equal(fractionMicros('.123456789'), 123457);
  });

  it('refuses what PostgreSQL refuses or this service never stores, with its SQLSTATE', () => {
    for (const text of ['2025-11-10', '2025-11-10T15:30:45', '2025-11-10T15:30:45.Z', '2025-11-10T15:30:45.1234567890Z', ' 2025-11-10T15:30:45Z', '+2025-11-10T15:30:45Z']) {
      assert.equal(encodingState(text), '22007', text);
    }
    for (const text of ['0000-01-01T00:00:00Z', '2025-13-01T00:00:00Z', '2025-02-29T00:00:00Z', '2100-02-29T00:00:00Z', '2025-11-10T24:00:00Z', '2025-11-10T15:60:00Z', '2025-11-10T15:30:61Z', '2025-11-10T15:30:45+16:00', '2025-11-10T15:30:45-00:60']) {
      assert.equal(encodingState(text), '22008', text);
    }
  });

  it('reads as a date-time exactly the texts of the RFC 3339 form PostgreSQL takes, whatever a text holds', () => {
    const form = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;
    // Valid texts with characters replaced, dropped or added: near misses of every part of the form.
    const nearMiss = fc
      .tuple(millisecondText, fc.array(fc.tuple(fc.nat(40), fc.constantFrom('', '0', '9', '-', ':', '.', 'T', 't', ' ', 'Z', 'z', '+', 'x', '١', '00', '.5')), { maxLength: 3 }))
      .map(([{ text }, edits]) => edits.reduce((edited, [at, insert]) => edited.slice(0, at) + insert + edited.slice(at + (insert.length % 2)), text));
    fc.assert(
      fc.property(nearMiss, (text) => {
        assert.equal(encodingState(text) !== '22007', form.test(text), text);
      }),
      runs,
    );
  });

  it('agrees with Date on every millisecond instant of years 1–9999, at any offset', () => {
    fc.assert(
      fc.property(millisecondText, ({ text, millis }) => {
        assert.equal(timestamptzMicros(text), BigInt(millis - postgresEpochMillis) * 1000n);
        assert.equal(Date.parse(text), millis);
      }),
      runs,
    );
  });

  it('agrees with exact decimal rounding wherever the fraction is not a tie', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\.\d{1,9}$/), (fraction) => {
        const digits = fraction.slice(1).padEnd(9, '0');
        const nanos = Number(digits);
        fc.pre(nanos % 1000 !== 500);
        assert.equal(fractionMicros(fraction), Math.floor(nanos / 1000) + (nanos % 1000 > 500 ? 1 : 0));
      }),
      runs,
    );
  });
});
