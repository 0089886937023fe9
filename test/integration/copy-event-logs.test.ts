import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { sql } from 'kysely';
import pg from 'pg';
import { CopyEncodingError } from '../../src/db/copy-encoding-error.js';
import { copyEventLogs } from '../../src/db/copy-event-logs.js';
import { writeEventLogs } from '../../src/db/event-log-writer.js';
import type { TodoEventLogRow } from '../../src/events/todo-event-log-row.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/** Any text PostgreSQL can hold: every code point, astral planes included, except NUL. */
function text(maxLength: number): fc.Arbitrary<string> {
  const anyText = fc.string({ unit: 'binary', maxLength }).filter((value) => !value.includes('\0'));
  const fullLength = fc.string({ unit: 'binary', minLength: maxLength, maxLength }).filter((value) => !value.includes('\0'));
  return fc.oneof(anyText, fullLength);
}

/** NULL, the empty string (stored as itself), or text up to the column's length in characters. */
function optionalText(maxLength: number): fc.Arbitrary<string | null> {
  return fc.oneof(fc.constant(null), fc.constant(''), text(maxLength));
}

const two = (value: number): string => String(value).padStart(2, '0');

/** RFC 3339 date-times as the consumer stores them: any offset PostgreSQL takes, 0–9 digits, second 60. */
const timestamp = fc
  .record({
    year: fc.oneof(fc.integer({ min: 1, max: 9999 }), fc.constantFrom(1, 1999, 2000, 9999)),
    month: fc.integer({ min: 1, max: 12 }),
    day: fc.integer({ min: 1, max: 28 }),
    hour: fc.integer({ min: 0, max: 23 }),
    minute: fc.integer({ min: 0, max: 59 }),
    second: fc.oneof(fc.integer({ min: 0, max: 60 }), fc.constant(60)),
    // Digits ending in 5, 50 or 500 past the sixth are the ties where half-even and half-away differ.
    fraction: fc.oneof(fc.stringMatching(/^(\.\d{1,9})?$/), fc.stringMatching(/^\.\d{6}(5|50|500)$/), fc.constantFrom('.9999995', '.0000005', '.0000015')),
    separator: fc.constantFrom('T', 't', ' '),
    offset: fc.oneof(
      fc.constantFrom('Z', 'z', '+15:59', '-15:59', '-00:00'),
      fc.tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 59 })).map(([sign, h, m]) => `${sign}${two(h)}:${two(m)}`),
    ),
  })
  .map((t) => `${String(t.year).padStart(4, '0')}-${two(t.month)}-${two(t.day)}${t.separator}${two(t.hour)}:${two(t.minute)}:${two(t.second)}${t.fraction}${t.offset}`);

const eventData = fc.oneof(
  fc.constant(null),
  fc.jsonValue({ depthSize: 'medium' }).map((value) => JSON.stringify({ payload: value, envelope: { note: 'ü 😀' } })).filter((json) => !json.includes('\\u0000')),
);

const offset = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }), fc.bigInt({ min: 2n ** 63n - 1_000n, max: 2n ** 63n - 1n }));

function rowsArbitrary(): fc.Arbitrary<TodoEventLogRow[]> {
  return fc.uniqueArray(offset, { minLength: 1, maxLength: 12 }).chain((offsets) =>
    fc.tuple(
      ...offsets.map((kafkaOffset) =>
        fc.record({
          timestamp,
          eventType: text(50),
          entity: text(50),
          entityId: text(100),
          groupId: optionalText(100),
          groupName: optionalText(255),
          taskId: optionalText(100),
          taskName: optionalText(255),
          changes: optionalText(100),
          userName: optionalText(100),
          workspace: optionalText(100),
          eventData,
          kafka: fc.record({ topic: text(60), partition: fc.integer({ min: 0, max: 2 ** 31 - 1 }), offset: fc.constant(String(kafkaOffset)) }),
        }),
      ),
    ),
  );
}

function row(kafkaOffset: number, changes: Partial<TodoEventLogRow> = {}): TodoEventLogRow {
  return {
    timestamp: '2025-11-10T15:30:45.123456Z', eventType: 'created', entity: 'Task', entityId: `t${kafkaOffset}`, groupId: 'g', groupName: null,
    taskId: `t${kafkaOffset}`, taskName: null, changes: null, userName: null, workspace: null, eventData: null,
    kafka: { topic: 'copy', partition: 0, offset: String(kafkaOffset) }, ...changes,
  };
}

function batch(size: number): TodoEventLogRow[] {
  return Array.from({ length: size }, (_, i) => row(i));
}

/** Every column as PostgreSQL prints it, in coordinate order. */
async function storedText(client: pg.ClientBase): Promise<string[][]> {
  const { rows } = await client.query<{ text: string[] }>(`
    SELECT ARRAY[timestamp::text, event_type, entity, entity_id, group_id, group_name, task_id, task_name, changes,
                 user_name, workspace, event_data::text, kafka_topic, kafka_partition::text, kafka_offset::text] AS text
    FROM todo_event_logs ORDER BY kafka_offset, kafka_topic, kafka_partition`);
  return rows.map((r) => r.text);
}

async function rejection(run: () => Promise<unknown>): Promise<{ code: unknown; error: unknown }> {
  try {
    await run();
  } catch (error) {
    return { code: typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined, error };
  }
  assert.fail('expected a rejection');
}

describe('copyEventLogs (binary COPY) on PostgreSQL', () => {
  let copied: TestDatabase;
  let inserted: TestDatabase;
  let client: pg.Client;
  let insertedClient: pg.Client;

  before(async () => {
    [copied, inserted] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    client = new pg.Client({ connectionString: copied.url });
    insertedClient = new pg.Client({ connectionString: inserted.url });
    await Promise.all([client.connect(), insertedClient.connect()]);
  });

  after(async () => {
    await Promise.all([client.end(), insertedClient.end()]);
    await Promise.all([copied.drop(), inserted.drop()]);
  });

  it('stores any rows exactly as the unnest INSERT stores them, column by column, or refuses them with its SQLSTATE', async () => {
    await fc.assert(
      fc.asyncProperty(rowsArbitrary(), async (rows) => {
        await client.query('TRUNCATE todo_event_logs');
        await sql`TRUNCATE todo_event_logs`.execute(inserted.db);
        let insertRefusal: unknown;
        try {
          assert.deepEqual(await writeEventLogs(inserted.db, rows, 1_000), { inserted: rows.length, duplicates: 0 });
        } catch (error) {
          insertRefusal = error;
        }
        if (insertRefusal === undefined) {
          assert.equal(await copyEventLogs(client, rows), rows.length);
          assert.deepEqual(await storedText(client), await storedText(insertedClient));
        } else {
          // e.g. 23:59:60.5, which PostgreSQL refuses (22008) and validation refuses before it.
          const refusal = await rejection(() => copyEventLogs(client, rows));
          assert.equal(refusal.code, (insertRefusal as { code?: unknown }).code, `${String(insertRefusal)} / ${String(refusal.error)}`);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('rejects a too-long value with 22001 and a stored coordinate with 23505; the transaction goes on from its savepoint', async () => {
    await client.query('TRUNCATE todo_event_logs');
    await client.query('BEGIN');
    try {
      await client.query('SAVEPOINT batch');
      const tooLong = batch(5_000);
      tooLong[2_500] = row(2_500, { eventType: 'x'.repeat(51) });
      const long = await rejection(() => copyEventLogs(client, tooLong));
      assert.equal(long.code, '22001', String(long.error));
      await client.query('ROLLBACK TO SAVEPOINT batch');

      assert.equal(await copyEventLogs(client, batch(3)), 3);
      await client.query('SAVEPOINT replay');
      const duplicate = await rejection(() => copyEventLogs(client, [row(3), row(1)]));
      assert.equal(duplicate.code, '23505', String(duplicate.error));
      await client.query('ROLLBACK TO SAVEPOINT replay');

      assert.equal(await copyEventLogs(client, [row(3)]), 1);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
    const { rows } = await client.query<{ offsets: string[] }>('SELECT array_agg(kafka_offset::text ORDER BY kafka_offset) AS offsets FROM todo_event_logs');
    assert.deepEqual(rows[0]?.offsets, ['0', '1', '2', '3']);
  });

  it('refuses a value it cannot encode before sending anything, leaving the transaction unharmed', async () => {
    await client.query('TRUNCATE todo_event_logs');
    await client.query('BEGIN');
    assert.equal(await copyEventLogs(client, [row(0)]), 1);
    const bad = await rejection(() => copyEventLogs(client, [row(1), row(2, { timestamp: '2025-02-30T00:00:00Z' })]));
    assert.ok(bad.error instanceof CopyEncodingError);
    assert.equal(bad.code, '22008');
    assert.equal(await copyEventLogs(client, [row(1)]), 1);
    await client.query('COMMIT');
    assert.deepEqual((await storedText(client)).map((r) => r[14]), ['0', '1']);
  });

  it('returns 0 for an empty batch and stores nothing', async () => {
    await client.query('TRUNCATE todo_event_logs');
    assert.equal(await copyEventLogs(client, []), 0);
    assert.equal(await copied.rowCount(), 0);
  });
});
