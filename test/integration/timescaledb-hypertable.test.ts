import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { encodeEventLogRows, eventLogCopyColumns } from '../../src/db/copy-binary-encoding.js';
import type { Database } from '../../src/db/database.js';
import { writeEventLogs } from '../../src/db/event-log-writer.js';
import type { TodoEventLogRow } from '../../src/events/todo-event-log-row.js';
import { runCli } from '../../deploy/local/cli-process.js';
import { startTimescaledbPglite, type TimescaledbPglite } from '../../deploy/local/services/timescaledb-pglite.js';

function row(offset: number, timestamp: string): TodoEventLogRow {
  return {
    timestamp,
    eventType: 'created',
    entity: 'Task',
    entityId: `t${offset}`,
    groupId: 'g',
    groupName: null,
    taskId: `t${offset}`,
    taskName: null,
    changes: null,
    userName: null,
    workspace: null,
    eventData: null,
    kafka: { topic: 'hypertable', partition: 0, offset: String(offset) },
  };
}

describe('on TimescaleDB (PGlite with the extension)', () => {
  let timescale: TimescaledbPglite;
  let db: Kysely<Database>;

  before(async () => {
    timescale = await startTimescaledbPglite();
    // PGlite serves one socket connection at a time, and copyIn waits for it: idle connections close fast.
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: timescale.url, max: 1, idleTimeoutMillis: 100 }) }) });
  });

  after(async () => {
    await db.destroy();
    await timescale.stop();
  });

  it('migrate turns todo_event_logs into a hypertable with 1-day chunks, and says so', async () => {
    const { code, output } = await runCli(['migrate', 'latest'], { DATABASE_URL: timescale.url, DATABASE_POOL_SIZE: '1', KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY: '1' });
    assert.equal(code, 0, output);
    assert.match(output, /todo_event_logs is a TimescaleDB hypertable/);
    const { rows } = await sql<{ interval: string }>`
      SELECT time_interval::text AS interval FROM timescaledb_information.dimensions
      WHERE hypertable_name = 'todo_event_logs' AND column_name = 'timestamp'`.execute(db);
    assert.deepEqual(rows, [{ interval: '1 day' }]);
  });

  it('stores a batch across days in one chunk per day, and skips a redelivered batch', async () => {
    const batch = [row(0, '2025-11-10T10:00:00Z'), row(1, '2025-11-11T10:00:00Z'), row(2, '2025-11-12T10:00:00.123456Z')];
    assert.deepEqual(await writeEventLogs(db, batch, 2), { inserted: 3, duplicates: 0 });
    assert.deepEqual(await writeEventLogs(db, batch, 2), { inserted: 0, duplicates: 3 });
    const { rows } = await sql<{ chunks: number }>`
      SELECT count(*)::int AS chunks FROM timescaledb_information.chunks WHERE hypertable_name = 'todo_event_logs'`.execute(db);
    assert.equal(rows[0]?.chunks, 3);
    const stored = await db.selectFrom('todo_event_logs').select(sql<string>`timestamp::text`.as('time')).orderBy('timestamp').execute();
    assert.equal(stored[2]?.time, '2025-11-12 10:00:00.123456+00');
  });

  it('takes binary COPY rows into one chunk per day, and refuses a stored coordinate with 23505 (in process: see copyIn)', async () => {
    const copy = `COPY todo_event_logs (${eventLogCopyColumns.join(', ')}) FROM '/dev/blob' (FORMAT binary)`;
    const batch = [row(10, '2025-11-13T10:00:00Z'), row(11, '2025-11-14T23:58:60.9999995+01:00'), { ...row(12, '2025-11-13T12:00:00.123456789Z'), eventData: '{"a": [1, "ü"]}' }];
    assert.equal(await timescale.copyIn(copy, encodeEventLogRows(batch)), 3);
    await assert.rejects(timescale.copyIn(copy, encodeEventLogRows([row(10, '2025-11-13T10:00:00Z')])), { code: '23505' });
    const stored = await db
      .selectFrom('todo_event_logs')
      .select([sql<string>`timestamp::text`.as('time'), sql<string | null>`event_data::text`.as('data')])
      .where('kafka_offset', '>=', '10')
      .orderBy('kafka_offset')
      .execute();
    assert.deepEqual(stored, [
      { time: '2025-11-13 10:00:00+00', data: null },
      { time: '2025-11-14 22:59:01+00', data: null },
      { time: '2025-11-13 12:00:00.123457+00', data: '{"a": [1, "ü"]}' },
    ]);
    const { rows } = await sql<{ chunks: number }>`
      SELECT count(*)::int AS chunks FROM timescaledb_information.chunks WHERE hypertable_name = 'todo_event_logs'`.execute(db);
    assert.equal(rows[0]?.chunks, 5);
  });
});
