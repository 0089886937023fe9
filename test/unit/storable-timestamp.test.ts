import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStorableTimestamp } from '../../src/db/timestamptz-micros.js';

describe('isStorableTimestamp', () => {
  const valid = [
    '2025-11-10T15:30:45Z',
    '2025-11-10T15:30:45.123Z',
    '2025-11-10t15:30:45.123456789+05:30',
    '2024-02-29T00:00:00-08:00',
    '2016-12-31T23:59:60Z',
    // The fraction rounds to 0 µs: exactly 24:00:00, which PostgreSQL still takes.
    '2016-12-31T23:59:60.0000004Z',
    '2016-12-31T23:58:60.9999994Z',
  ];
  for (const text of valid) {
    it(`accepts ${text}`, () => assert.equal(isStorableTimestamp(text), true));
  }
  const invalid = [
    '2025-11-10',
    '2025-11-10T15:30:45',
    '2025-13-01T00:00:00Z',
    '2025-02-29T00:00:00Z',
    '2025-11-10T24:00:00Z',
    '2025-11-10T15:30:45+25:00',
    'yesterday',
    ' 2025-11-10T15:30:45Z',
    // Past 24:00:00 once rounded to microseconds: PostgreSQL refuses these with 22008.
    '2016-12-31T23:59:60.5Z',
    '2016-12-31T23:59:60.0000006Z',
  ];
  for (const text of invalid) {
    it(`rejects ${JSON.stringify(text)}`, () => assert.equal(isStorableTimestamp(text), false));
  }
});
