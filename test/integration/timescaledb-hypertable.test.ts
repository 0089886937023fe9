import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { encodeEventLogRows, eventLogCopyColumns } from '../../src/db/copy-binary-encoding.js';
import { copyEventLogs } from '../../src/db/copy-event-logs.js';
import type { Database } from '../../src/db/database.js';
import { writeEventLogs } from '../../src/db/event-log-writer.js';
import { getGroupsSummary, getGroupTasksSummary, type ReadOptions } from '../../src/db/read-queries.js';
import type { TodoEventLogRow } from '../../src/events/todo-event-log-row.js';
import { runCli } from '../../deploy/local/cli-process.js';
import { startTimescaledbPglite } from '../../deploy/local/services/timescaledb-pglite.js';
import { realTimescaledbUrl } from '../support/real-timescaledb.js';
import { scannedGroupsSummary, scannedGroupTasksSummary } from '../support/scanned-summaries.js';
import { createTestDatabase } from '../support/test-database.js';

function row(offset: number, timestamp: string, names: Partial<Pick<TodoEventLogRow, 'groupId' | 'groupName' | 'taskId' | 'taskName'>> = {}): TodoEventLogRow {
  return {
    timestamp,
    eventType: 'created',
    entity: 'Task',
    entityId: `t${offset}`,
    groupId: 'g',
    groupName: null,
    taskId: `t${offset}`,
    taskName: null,
    ...names,
    changes: null,
    userName: null,
    workspace: null,
    eventData: null,
    kafka: { topic: 'hypertable', partition: 0, offset: String(offset) },
  };
}

/** A database on TimescaleDB, not yet migrated, with binary COPY into todo_event_logs. */
interface TimescaledbTarget {
  readonly url: string;
  readonly db: Kysely<Database>;
  /** Rows stored by one binary COPY (the consumer's write path); rejects with PostgreSQL's refusal. */
  copyRows(rows: readonly TodoEventLogRow[]): Promise<number>;
  stop(): Promise<void>;
}

/** The real server, over the wire as the consumer writes. */
async function realTarget(server: string): Promise<TimescaledbTarget> {
  const database = await createTestDatabase({ server, migrated: false });
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  return {
    url: database.url,
    db: database.db,
    async copyRows(rows) {
      const client = await pool.connect();
      try {
        return await copyEventLogs(client, rows);
      } finally {
        client.release();
      }
    },
    async stop() {
      await pool.end();
      await database.drop();
    },
  };
}

/** The stand-in where the real server's source is absent: one connection, COPY run in process (see copyIn). */
async function pgliteTarget(): Promise<TimescaledbTarget> {
  const timescale = await startTimescaledbPglite();
  // PGlite serves one socket connection at a time, and copyIn waits for it: idle connections close fast.
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: timescale.url, max: 1, idleTimeoutMillis: 100 }) }) });
  const copy = `COPY todo_event_logs (${eventLogCopyColumns.join(', ')}) FROM '/dev/blob' (FORMAT binary)`;
  return {
    url: timescale.url,
    db,
    copyRows: (rows) => timescale.copyIn(copy, encodeEventLogRows(rows)),
    async stop() {
      await db.destroy();
      await timescale.stop();
    },
  };
}

const realServer = realTimescaledbUrl();

describe(`on TimescaleDB (${realServer === undefined ? 'PGlite with the extension, a stand-in: not a real TimescaleDB server' : 'a real TimescaleDB server'})`, () => {
  let target: TimescaledbTarget;
  let db: Kysely<Database>;

  before(async () => {
    target = realServer === undefined ? await pgliteTarget() : await realTarget(realServer);
    db = target.db;
  });

  after(async () => {
    await target.stop();
  });

  it('migrate turns todo_event_logs into a hypertable with 1-day chunks, and says so', async () => {
    const { code, output } = await runCli(['migrate', 'latest'], { DATABASE_URL: target.url, DATABASE_POOL_SIZE: '1', KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY: '1' });
    assert.equal(code, 0, output);
    assert.match(output, /todo_event_logs is a TimescaleDB hypertable/);
    // A real server's scheduler would refresh the summaries of these past days in the background; here the test refreshes.
    await sql`SELECT alter_job(job_id, scheduled => false) FROM timescaledb_information.jobs WHERE proc_name = 'policy_refresh_continuous_aggregate'`.execute(db);
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

  it('takes binary COPY rows into one chunk per day, and refuses a stored coordinate with 23505', async () => {
    const batch = [row(10, '2025-11-13T10:00:00Z'), row(11, '2025-11-14T23:58:60.9999995+01:00'), { ...row(12, '2025-11-13T12:00:00.123456789Z'), eventData: '{"a": [1, "ü"]}' }];
    assert.equal(await target.copyRows(batch), 3);
    await assert.rejects(target.copyRows([row(10, '2025-11-13T10:00:00Z')]), { code: '23505' });
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

  const windows: ReadOptions[] = [
    {}, { limit: 1 }, { since: new Date('2025-11-11T00:00:00Z') }, { until: new Date('2025-11-12T10:00:00Z') },
    { since: new Date('2025-11-10T10:30:00Z'), until: new Date('2025-11-13T00:00:01Z') }, { since: new Date('2025-11-11T09:00:00Z'), until: new Date('2025-11-11T11:00:00Z') },
    // Edges inside hours, next to the rows at 10:00 and 10:00:00.5: rows, whole hours, rows.
    { since: new Date('2025-11-10T10:59:59.999Z'), until: new Date('2025-11-11T10:00:00.5Z') }, { since: new Date('2025-11-11T10:00:00.001Z'), until: new Date('2025-11-12T23:59:59.999Z'), limit: 1 },
  ];

  async function assertSummariesMatchScan(): Promise<void> {
    for (const options of windows) {
      assert.deepEqual(await getGroupsSummary(db, options), await scannedGroupsSummary(db, options), JSON.stringify(options));
      for (const groupId of ['g', 'h']) {
        assert.deepEqual(await getGroupTasksSummary(db, groupId, options), await scannedGroupTasksSummary(db, groupId, options), `${groupId} ${JSON.stringify(options)}`);
      }
    }
  }

  it('serves the summaries from continuous aggregates with real-time aggregation and a refresh policy', async () => {
    const { rows: views } = await sql<{ view: string; materializedOnly: boolean }>`
      SELECT view_name AS view, materialized_only AS "materializedOnly" FROM timescaledb_information.continuous_aggregates ORDER BY view_name`.execute(db);
    assert.deepEqual(views, [
      { view: 'todo_group_activity_daily', materializedOnly: false },
      { view: 'todo_group_activity_hourly', materializedOnly: false },
      { view: 'todo_task_activity_daily', materializedOnly: false },
      { view: 'todo_task_activity_hourly', materializedOnly: false },
    ]);
    const { rows: policies } = await sql<{ view: string; schedule: string; config: { start_offset: unknown; end_offset: string } }>`
      SELECT hypertable_name AS view, schedule_interval::text AS schedule, config FROM timescaledb_information.jobs
      WHERE proc_name = 'policy_refresh_continuous_aggregate' ORDER BY job_id`.execute(db);
    assert.equal(policies.length, 4);
    for (const policy of policies) {
      assert.equal(policy.schedule, '00:05:00');
      assert.equal(policy.config.start_offset, null);
      assert.equal(policy.config.end_offset, policy.view.endsWith('_hourly') ? '01:00:00' : '1 day', policy.view);
    }
    const { rows: triggers } = await sql<{ count: number }>`
      SELECT count(*)::int AS count FROM pg_trigger WHERE tgrelid = 'todo_event_logs'::regclass AND tgname LIKE 'todo_history_%'`.execute(db);
    assert.deepEqual(triggers, [{ count: 0 }], 'no summary triggers on a hypertable');
  });

  it('answers the summary queries as the scan does before, across and after a refresh, counting rows newer than the refresh', async () => {
    await writeEventLogs(db, [
      row(10, '2025-11-10T11:00:00Z', { groupName: 'Alpha', taskId: 't0', taskName: 'Login' }),
      row(11, '2025-11-11T10:00:00Z', { groupName: 'Alpha', taskId: 't0', taskName: 'Renamed' }),
      row(12, '2025-11-11T10:00:00.5Z', { groupId: 'h', groupName: null, taskId: null }),
      row(13, '2025-11-12T23:59:59.999999Z', { groupId: 'h', groupName: '', taskId: 't1', taskName: null }),
    ], 10);
    await assertSummariesMatchScan();
    await sql`CALL refresh_continuous_aggregate('todo_group_activity_daily', NULL, TIMESTAMPTZ '2025-11-12 00:00:00+00')`.execute(db);
    await sql`CALL refresh_continuous_aggregate('todo_task_activity_daily', NULL, TIMESTAMPTZ '2025-11-12 00:00:00+00')`.execute(db);
    await assertSummariesMatchScan();
    await writeEventLogs(db, [row(14, '2025-11-12T08:00:00Z', { groupName: 'Alpha' }), row(15, '2025-11-13T00:00:00Z', { groupId: 'h' })], 10);
    await assertSummariesMatchScan();
  });

  it('counts a late row in an already materialized day from the next refresh on, in both summaries', async () => {
    await writeEventLogs(db, [row(16, '2025-11-10T12:00:00Z', { groupName: 'Alpha' })], 10);
    const alpha = async () => (await getGroupsSummary(db)).find((g) => g.groupId === 'g' && g.groupName === 'Alpha')?.logCount;
    const scanned = (await scannedGroupsSummary(db, {})).find((g) => g.groupId === 'g' && g.groupName === 'Alpha')?.logCount;
    assert.equal(await alpha(), (scanned ?? 0) - 1, 'until the refresh, the materialized day lacks the late row');
    // A task read from the rows would show the late row at once: its absence shows the aggregate is read.
    const lateTask = async () => (await getGroupTasksSummary(db, 'g', { limit: 1000 })).find((t) => t.taskId === 't16')?.logCount;
    assert.equal(await lateTask(), undefined);
    await sql`CALL refresh_continuous_aggregate('todo_group_activity_daily', NULL, TIMESTAMPTZ '2025-11-12 00:00:00+00')`.execute(db);
    await sql`CALL refresh_continuous_aggregate('todo_task_activity_daily', NULL, TIMESTAMPTZ '2025-11-12 00:00:00+00')`.execute(db);
    assert.equal(await alpha(), scanned);
    assert.equal(await lateTask(), 1);
    await assertSummariesMatchScan();
  });
});
