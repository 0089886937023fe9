import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
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
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: timescale.url, max: 1 }) }) });
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
});
