import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import type { Database } from '../../src/db/database.js';
import { writeEventLogs } from '../../src/db/event-log-writer.js';
import { loadBuildMigrations } from '../../src/db/migration-catalog.js';
import { migrate } from '../../src/db/migrate.js';
import { getGroupsSummary, getGroupTasksSummary, type ReadOptions } from '../../src/db/read-queries.js';
import type { TodoEventLogRow } from '../../src/events/todo-event-log-row.js';
import { copyRows } from '../bench/insert-strategies.js';
import { scannedGroupsSummary, scannedGroupTasksSummary } from '../support/scanned-summaries.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

const summariesMigration = '2026-12-02T00-01-00_daily-activity-summaries';

const groupIds = ['g0', 'g1', 'g2', 'g3'];
const dayStart = Date.parse('2025-11-08T00:00:00Z');
const dayMs = 86_400_000;

const hourMs = 3_600_000;

/**
 * Four days, with extra weight on instants at and next to midnight and the hours, where whole days, whole
 * hours and the rows of partial hours meet.
 */
const instantMs = fc.oneof(
  fc.integer({ min: 0, max: 4 * dayMs - 1 }),
  fc.integer({ min: 0, max: 4 }).chain((day) => fc.constantFrom(day * dayMs, day * dayMs - 1, day * dayMs + 1)),
  fc.integer({ min: 0, max: 4 * 24 }).chain((hour) => fc.constantFrom(hour * hourMs, hour * hourMs - 1, hour * hourMs + 1)),
);

/** A timestamp with microseconds, which the table keeps and a JavaScript Date does not. */
const timestamp = fc.tuple(instantMs, fc.integer({ min: 0, max: 999 })).map(([ms, micros]) => {
  const at = new Date(dayStart + Math.max(0, ms)).toISOString();
  return `${at.slice(0, -1)}${String(micros).padStart(3, '0')}Z`;
});

interface GeneratedEvent {
  row: Omit<TodoEventLogRow, 'kafka'>;
  /**
   * How the row reaches the table: COPY, the consumer's unnest writer, a Go-service INSERT, or only in the
   * final replay batch, next to the `replayed` rows written a second time through ON CONFLICT.
   */
  via: 'copy' | 'unnest' | 'goInsert' | 'withReplay';
  replayed: boolean;
}

const event: fc.Arbitrary<GeneratedEvent> = fc
  .record({
    timestamp,
    groupId: fc.option(fc.constantFrom(...groupIds), { freq: 5 }),
    groupName: fc.option(fc.constantFrom('Alpha', 'Beta', ''), { freq: 4 }),
    taskId: fc.option(fc.constantFrom('t0', 't1', 't2'), { freq: 3 }),
    taskName: fc.option(fc.constantFrom('Login', 'Logout', ''), { freq: 4 }),
    via: fc.constantFrom('copy' as const, 'unnest' as const, 'goInsert' as const, 'withReplay' as const),
    replayed: fc.boolean(),
  })
  .map(({ via, replayed, ...fields }) => ({
    via,
    replayed: replayed && via !== 'goInsert' && via !== 'withReplay',
    row: { ...fields, eventType: 'updated', entity: 'Task', entityId: fields.taskId ?? 'x', changes: null, userName: null, workspace: null, eventData: null },
  }));

const windowBound = fc.option(
  instantMs.map((ms) => new Date(dayStart + ms)),
  { freq: 3 },
);
const readOptions: fc.Arbitrary<ReadOptions> = fc.record({
  since: windowBound.map((bound) => bound ?? undefined),
  until: windowBound.map((bound) => bound ?? undefined),
  limit: fc.option(fc.integer({ min: 1, max: 6 }), { freq: 2 }).map((limit) => limit ?? undefined),
});

/** Go-service rows: no Kafka coordinates, one plain INSERT without ON CONFLICT. */
async function insertAsGoService(db: Kysely<Database>, rows: readonly Omit<TodoEventLogRow, 'kafka'>[]): Promise<void> {
  if (rows.length === 0) return;
  const values = rows.map((r) => sql`(${r.timestamp}::timestamptz, ${r.eventType}, ${r.entity}, ${r.entityId}, ${r.groupId}, ${r.groupName}, ${r.taskId}, ${r.taskName})`);
  await sql`
    INSERT INTO todo_event_logs (timestamp, event_type, entity, entity_id, group_id, group_name, task_id, task_name)
    VALUES ${sql.join(values)}`.execute(db);
}

let nextOffset = 0;

/** Writes the events the way each asks; the last batch mixes new rows with replays, of which none may count. */
async function store(database: TestDatabase, events: readonly GeneratedEvent[]): Promise<void> {
  const rows = events.map((e) => ({ ...e, row: { ...e.row, kafka: { topic: 'summaries', partition: 0, offset: String(nextOffset++) } } }));
  const written = (via: GeneratedEvent['via']) => rows.filter((e) => e.via === via).map((e) => e.row);
  await copyRows(database.url, written('copy'), 7);
  const unnested = written('unnest');
  for (let start = 0; start < unnested.length; start += 5) await writeEventLogs(database.db, unnested.slice(start, start + 5), 5);
  await insertAsGoService(database.db, written('goInsert'));
  const fresh = written('withReplay');
  const replayBatch = [...rows.filter((e) => e.replayed).map((e) => e.row), ...fresh].reverse();
  if (replayBatch.length > 0) assert.equal((await writeEventLogs(database.db, replayBatch, 1000)).inserted, fresh.length);
}

async function groupSummaryRows(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ count: number }>`SELECT count(*)::int AS count FROM todo_group_activity_daily`.execute(db);
  return rows[0]?.count ?? 0;
}

async function assertSummariesMatchScan(db: Kysely<Database>, windows: readonly ReadOptions[]): Promise<void> {
  for (const options of windows) {
    assert.deepEqual(await getGroupsSummary(db, options), await scannedGroupsSummary(db, options), `groups, ${JSON.stringify(options)}`);
    for (const groupId of groupIds) {
      assert.deepEqual(
        await getGroupTasksSummary(db, groupId, options),
        await scannedGroupTasksSummary(db, groupId, options),
        `tasks of ${groupId}, ${JSON.stringify(options)}`,
      );
    }
  }
}

describe('per-day activity summaries on PostgreSQL: the group summary maintained by triggers, the task summary read from the rows', () => {
  let database: TestDatabase;

  before(async () => {
    database = await createTestDatabase();
  });

  after(async () => {
    await database.drop();
  });

  it('answer every summary query exactly as the scan does, for rows written by COPY, unnest, ON CONFLICT replays and plain INSERTs', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(event, { maxLength: 60 }),
        fc.array(readOptions, { minLength: 1, maxLength: 4 }),
        async (events, windows) => {
          await sql`TRUNCATE todo_event_logs`.execute(database.db);
          await store(database, events);
          await assertSummariesMatchScan(database.db, [{}, ...windows]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('stay exact after DELETEs (retention by time, a group removed, single rows) and UPDATEs that rename or move rows', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(event, { minLength: 1, maxLength: 60 }),
        fc.constantFrom('retention', 'group', 'every third row', 'rename', 'move in time'),
        instantMs,
        fc.array(readOptions, { minLength: 1, maxLength: 3 }),
        async (events, change, cutMs, windows) => {
          await sql`TRUNCATE todo_event_logs`.execute(database.db);
          await store(database, events);
          const cut = new Date(dayStart + cutMs);
          if (change === 'retention') await sql`DELETE FROM todo_event_logs WHERE timestamp < ${cut}`.execute(database.db);
          if (change === 'group') await sql`DELETE FROM todo_event_logs WHERE group_id = 'g1'`.execute(database.db);
          if (change === 'every third row') await sql`DELETE FROM todo_event_logs WHERE id % 3 = 0`.execute(database.db);
          if (change === 'rename') await sql`UPDATE todo_event_logs SET group_name = 'Renamed', task_name = NULL WHERE timestamp >= ${cut}`.execute(database.db);
          if (change === 'move in time') await sql`UPDATE todo_event_logs SET timestamp = timestamp + INTERVAL '30 hours' WHERE id % 2 = 0`.execute(database.db);
          await assertSummariesMatchScan(database.db, [{}, ...windows]);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('create no task summary and no per-row work for it: the writer keeps only the group summary', async () => {
    const { rows } = await sql<{ taskSummary: string | null; triggers: string[] }>`
      SELECT to_regclass('todo_task_activity_daily')::text AS "taskSummary",
             (SELECT array_agg(tgname::text ORDER BY tgname) FROM pg_trigger WHERE tgrelid = 'todo_event_logs'::regclass AND NOT tgisinternal) AS triggers`.execute(database.db);
    assert.deepEqual(rows, [{
      taskSummary: null,
      triggers: ['todo_history_count_inserted_rows', 'todo_history_empty_summaries', 'todo_history_recount_deleted_rows', 'todo_history_recount_updated_rows'],
    }]);
    const { rows: functions } = await sql<{ name: string }>`
      SELECT p.proname::text AS name FROM pg_proc p WHERE p.proname LIKE 'todo_history_%' AND pg_get_functiondef(p.oid) LIKE '%task_activity%'`.execute(database.db);
    assert.deepEqual(functions, []);
  });

  it('leave the group summary empty after a TRUNCATE', async () => {
    await store(database, fc.sample(event, 20));
    assert.ok(await groupSummaryRows(database.db) > 0);
    await sql`TRUNCATE todo_event_logs`.execute(database.db);
    assert.equal(await groupSummaryRows(database.db), 0);
  });

  it('keep one group summary row per group, name and day, so its size grows with the groups, not the events', async () => {
    await sql`TRUNCATE todo_event_logs`.execute(database.db);
    const rows: TodoEventLogRow[] = Array.from({ length: 3000 }, (_, i) => ({
      timestamp: new Date(dayStart + (i % 2) * dayMs + i * 1000).toISOString(), eventType: 'updated', entity: 'Task', entityId: `t${i % 7}`,
      groupId: `g${i % 5}`, groupName: 'Alpha', taskId: `t${i % 7}`, taskName: null, changes: null, userName: null, workspace: null, eventData: null,
      kafka: { topic: 'summaries-size', partition: 0, offset: String(i) },
    }));
    await writeEventLogs(database.db, rows, 1000);
    assert.equal(await groupSummaryRows(database.db), 5 * 2);
  });

  it('never deadlock when two connections write overlapping groups concurrently, and count every row once', async () => {
    await sql`TRUNCATE todo_event_logs`.execute(database.db);
    const pools = [new pg.Pool({ connectionString: database.url, max: 1 }), new pg.Pool({ connectionString: database.url, max: 1 })];
    const writers = pools.map((pool, writer) =>
      (async () => {
        const client = await pool.connect();
        try {
          for (let batch = 0; batch < 40; batch += 1) {
            // The writers share 40 groups, listed in opposite orders, and hold their locks until commit.
            const groups = Array.from({ length: writer === 0 ? 40 : 150 }, (_, i) => `g${writer === 0 ? 39 - i : i}`);
            const rows = Array.from({ length: 150 }, (_, i) => ({
              timestamp: new Date(dayStart + ((batch * 150 + i) % 3) * dayMs + i).toISOString(),
              groupId: groups[i % groups.length] ?? null,
              taskId: `t${i % 11}`,
              offset: `${batch * 150 + i}`,
            }));
            await client.query('BEGIN');
            await client.query(
              `INSERT INTO todo_event_logs (timestamp, event_type, entity, entity_id, group_id, group_name, task_id, kafka_topic, kafka_partition, kafka_offset)
               SELECT t, 'updated', 'Task', task, g, 'Alpha', task, 'concurrent', $5, o::bigint FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[]) AS u(t, g, task, o)
               ON CONFLICT (kafka_topic, kafka_partition, kafka_offset, timestamp) DO NOTHING`,
              [rows.map((r) => r.timestamp), rows.map((r) => r.groupId), rows.map((r) => r.taskId), rows.map((r) => r.offset), writer],
            );
            // Holding the locks a moment makes the other writer queue behind them, the case a bad order deadlocks.
            await client.query('SELECT pg_sleep(0.005)');
            await client.query('COMMIT');
          }
        } finally {
          client.release();
        }
      })(),
    );
    try {
      await Promise.all(writers);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
    assert.equal(await database.rowCount(), 2 * 40 * 150);
    const summary = await getGroupsSummary(database.db, { limit: 1000 });
    assert.equal(summary.reduce((total, group) => total + group.logCount, 0), 2 * 40 * 150);
    await assertSummariesMatchScan(database.db, [{ limit: 1000 }, { since: new Date(dayStart + dayMs / 2), until: new Date(dayStart + 2 * dayMs + 7) }]);
  });
});

describe('summaries of a window with more rows than the walk for the most recent keys reads', () => {
  let database: TestDatabase;

  before(async () => {
    database = await createTestDatabase();
  });

  after(async () => {
    await database.drop();
  });

  it('count every row when fewer keys than the limit hold the window\'s rows, and the limit\'s ties when more do', async () => {
    // 30,000 rows within two hours over three keys: the walk gives up and every key is counted.
    const rowAt = (ms: number, groupId: string, groupName: string | null, partition: number, offset: number): TodoEventLogRow => ({
      timestamp: new Date(dayStart + ms).toISOString(), eventType: 'updated', entity: 'Task', entityId: `t${offset % 5}`,
      groupId, groupName, taskId: `t${offset % 5}`, taskName: null, changes: null, userName: null, workspace: null, eventData: null,
      kafka: { topic: 'summaries-walk', partition, offset: String(offset) },
    });
    const rows = Array.from({ length: 30_000 }, (_, i) => rowAt(10 * hourMs + i * 200, `g${i % 3}`, i % 3 === 2 ? null : 'Alpha', 0, i));
    // Then 40 keys whose last rows share one instant: a limit of 5 cuts through the tie by the key.
    const tied = Array.from({ length: 40 }, (_, i) => rowAt(12 * hourMs + 30_000, `tie${i}`, 'Alpha', 1, i));
    await copyRows(database.url, [...rows, ...tied], 5000);
    const windows: ReadOptions[] = [
      {}, { limit: 5 }, { since: new Date(dayStart + 10 * hourMs + 1), until: new Date(dayStart + 12 * hourMs + 1) },
      { since: new Date(dayStart + 10 * hourMs + 1), until: new Date(dayStart + 12 * hourMs + 30_001), limit: 5 },
      { since: new Date(dayStart + 10 * hourMs + 1), until: new Date(dayStart + 12 * hourMs + 30_000), limit: 2 },
    ];
    await assertSummariesMatchScan(database.db, windows);
    assert.deepEqual((await getGroupsSummary(database.db, { limit: 5 })).map((group) => group.groupId), ['tie0', 'tie1', 'tie10', 'tie11', 'tie12']);
  });
});

describe('the hourly summaries migration on a table that already holds rows and per-day summaries', () => {
  let database: TestDatabase;

  before(async () => {
    database = await createTestDatabase({ migrated: false });
  });

  after(async () => {
    await database.drop();
  });

  it('backfills the hourly summary from every existing row, and the triggers keep both current after it', async () => {
    const hourlyMigration = '2026-12-06T00-04-00_hourly-activity-summaries';
    const earlier = (await loadBuildMigrations()).filter((m) => m.name < hourlyMigration);
    const before = await migrate(database.db, 'latest', earlier);
    assert.ok(before.kind === 'ran' && before.result.error === undefined);
    await store(database, fc.sample(event, { numRuns: 300, seed: 25 }));

    const after = await migrate(database.db, 'latest');
    assert.ok(after.kind === 'ran' && after.result.error === undefined, String(after.kind === 'ran' ? after.result.error : after.kind));
    const edges: ReadOptions[] = [
      {}, { limit: 2 }, { since: new Date(dayStart + dayMs + 5), until: new Date(dayStart + 3 * dayMs - hourMs + 7) },
      { since: new Date(dayStart + 30 * 60_000), until: new Date(dayStart + 2 * hourMs + 1) }, { since: new Date(dayStart + 3 * dayMs + hourMs - 1) },
    ];
    await assertSummariesMatchScan(database.db, edges);

    await store(database, fc.sample(event, { numRuns: 50, seed: 26 }));
    await sql`DELETE FROM todo_event_logs WHERE id % 4 = 0`.execute(database.db);
    await assertSummariesMatchScan(database.db, edges);
  });
});

describe('the summaries migration on a table that already holds rows', () => {
  let database: TestDatabase;

  before(async () => {
    database = await createTestDatabase({ migrated: false });
  });

  after(async () => {
    await database.drop();
  });

  it('backfills the summaries from every existing row, the Go service\'s and this service\'s', async () => {
    const earlier = (await loadBuildMigrations()).filter((m) => m.name < summariesMigration);
    const before = await migrate(database.db, 'latest', earlier);
    assert.ok(before.kind === 'ran' && before.result.error === undefined);
    assert.equal(await sql`SELECT to_regclass('todo_group_activity_daily') AS t`.execute(database.db).then((r) => (r.rows[0] as { t: unknown }).t), null);

    const events = fc.sample(event, { numRuns: 400, seed: 16 });
    await store(database, events);
    const stored = await database.rowCount();

    const after = await migrate(database.db, 'latest');
    assert.ok(after.kind === 'ran' && after.result.error === undefined, String(after.kind === 'ran' ? after.result.error : after.kind));
    assert.equal(await database.rowCount(), stored);
    await assertSummariesMatchScan(database.db, [{}, { limit: 2 }, { since: new Date(dayStart + dayMs + 5), until: new Date(dayStart + 3 * dayMs) }]);

    // Rows written after the migration add to the backfilled buckets.
    await store(database, fc.sample(event, { numRuns: 50, seed: 17 }));
    await assertSummariesMatchScan(database.db, [{}, { since: new Date(dayStart + dayMs) }]);
  });
});
