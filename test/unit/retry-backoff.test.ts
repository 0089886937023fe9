import assert from 'node:assert/strict';
import { it } from 'node:test';
import { backoffDelay } from '../../src/retry/retry-backoff.js';

it('doubles from the initial delay per failure and stops at the cap', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, 2_000, 60_000)), [2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000]);
});
