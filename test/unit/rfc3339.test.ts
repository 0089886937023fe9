import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRfc3339 } from '../../src/events/rfc3339.js';

describe('isRfc3339', () => {
  for (const valid of ['2025-11-10T15:30:45Z', '2025-11-10T15:30:45.123Z', '2025-11-10t15:30:45.123456789+05:30', '2024-02-29T00:00:00-08:00', '2016-12-31T23:59:60Z']) {
    it(`accepts ${valid}`, () => assert.equal(isRfc3339(valid), true));
  }
  for (const invalid of ['2025-11-10', '2025-11-10T15:30:45', '2025-13-01T00:00:00Z', '2025-02-29T00:00:00Z', '2025-11-10T24:00:00Z', '2025-11-10T15:30:45+25:00', 'yesterday', ' 2025-11-10T15:30:45Z']) {
    it(`rejects ${JSON.stringify(invalid)}`, () => assert.equal(isRfc3339(invalid), false));
  }
});
