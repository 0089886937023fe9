import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { EventRejection } from '../../src/events/rejection.js';
import { scanEvent } from '../../src/events/scan-json.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

// Around each edge of numeric's range: 131,072 digits before the point, 16,383 after, and zero's scale.
const numbers = [
  '1e400', '1e131071', '1e131072', '0.1e131072', '123e131069', '123e131070', '1e200000', '1e-16383', '1e-16384',
  '1.5e-16382', '1.50e-16382', '0e200000', '0e-16383', '0e-16384', '0.0e-16383', '0.000001e-16377', '0.000001e-16378',
  '-1e131071', '-1e-16384', '19.90', '1234567890123456789', `1${'0'.repeat(131_071)}`, `1${'0'.repeat(131_072)}`, `0.${'1'.repeat(16_383)}`, `0.${'1'.repeat(16_384)}`,
];

function acceptedByScan(number: string): boolean {
  try {
    scanEvent(`{"n":${number}}`, 64);
    return true;
  } catch (error) {
    if (error instanceof EventRejection && error.code === 'number_out_of_range') return false;
    throw error;
  }
}

describe('numbers in event_data, against PostgreSQL\'s own JSONB', () => {
  let database: TestDatabase;

  before(async () => {
    database = await createTestDatabase({ migrated: false });
  });

  after(async () => {
    await database.drop();
  });

  it('rejects exactly the numbers PostgreSQL refuses', async () => {
    for (const number of numbers) {
      const accepted = await sql`SELECT ${`{"n":${number}}`}::jsonb`.execute(database.db).then(
        () => true,
        (error: { code?: string }) => (error.code === '22003' ? false : Promise.reject(error)),
      );
      assert.equal(acceptedByScan(number), accepted, `${number.slice(0, 30)} (${number.length} characters)`);
    }
  });
});
