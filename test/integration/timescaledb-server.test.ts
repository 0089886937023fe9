import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import type { Message } from 'kafkajs';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { writeEventLogs } from '../../src/db/event-log-writer.js';
import { PartitionBatchStore } from '../../src/db/partition-batch-store.js';
import type { Database } from '../../src/db/database.js';
import type { TodoEventLogRow } from '../../src/events/todo-event-log-row.js';
import { runCli, startCli } from '../../deploy/local/cli-process.js';
import { findFreePort } from '../../deploy/local/system/free-port.js';
import { waitFor } from '../../deploy/local/system/wait-for.js';
import { assertStoredExactlyOnce } from '../support/exactly-once.js';
import { realTimescaledbUrl, withoutRealTimescaledb } from '../support/real-timescaledb.js';
import { scannedGroupsSummary, scannedGroupTasksSummary } from '../support/scanned-summaries.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { brokers, TestTopics } from '../support/test-topics.js';

const server = realTimescaledbUrl();
const dayMs = 86_400_000;

/** A database on the real server, migrated by `todo-history migrate` (which creates the extension). */
async function timescaledbDatabase(): Promise<TestDatabase> {
  const database = await createTestDatabase({ server, migrated: false });
  const { code, output } = await runCli(['migrate', 'latest'], { DATABASE_URL: database.url });
  assert.equal(code, 0, output);
  assert.match(output, /todo_event_logs is a TimescaleDB hypertable/);
  // Past days are what these tests write: a refresh by the scheduler while they write would leave rows
  // written after it to the next refresh (late rows), and the tests compare with the rows at once.
  await sql`SELECT alter_job(job_id, scheduled => false) FROM timescaledb_information.jobs WHERE proc_name = 'policy_refresh_continuous_aggregate'`.execute(database.db);
  return database;
}

async function chunkCount(database: TestDatabase): Promise<number> {
  const { rows } = await sql<{ chunks: number }>`
    SELECT count(*)::int AS chunks FROM timescaledb_information.chunks WHERE hypertable_name = 'todo_event_logs'`.execute(database.db);
  return rows[0]?.chunks ?? 0;
}

/** A valid event `day` days after 2000-01-01, in group `group-<index % 5>`. */
function eventOnDay(index: number, day: number): Message {
  const group = `group-${index % 5}`;
  return {
    key: group,
    value: JSON.stringify({
      eventType: 'created',
      timestamp: new Date(Date.UTC(2000, 0, 1) + day * dayMs + (index % 86_400) * 1_000).toISOString(),
      payload: { entity: 'Task', entityId: `task-${index}`, groupId: group, groupName: `Group ${index % 5}`, taskId: `task-${index}`, taskName: `Task ${index}` },
    }),
  };
}

function row(topic: string, partition: number, offset: number, time: Date): TodoEventLogRow {
  return {
    timestamp: time.toISOString(), eventType: 'created', entity: 'Task', entityId: `t${offset}`, groupId: 'g', groupName: null, taskId: `t${offset}`, taskName: null,
    changes: null, userName: null, workspace: null, eventData: null, kafka: { topic, partition, offset: String(offset) },
  };
}

/**
 * Each offset of a burst from eventOnDay(i, i) stored once, on its own day, in a chunk of its own. Read
 * 500 days at a time: one query over all 5,000 chunks would lock each of them and their indexes, more than
 * the default lock table holds. The chunks are counted in TimescaleDB's catalog for the same reason.
 */
async function assertBurstStoredOnce(database: TestDatabase, topic: string, events: number): Promise<void> {
  const stored: { offset: number; day: number }[] = [];
  for (let first = 0; first < events; first += 500) {
    const rows = await database.db
      .selectFrom('todo_event_logs')
      .select(['kafka_offset', 'timestamp'])
      .where('kafka_topic', '=', topic)
      .where('timestamp', '>=', new Date(Date.UTC(2000, 0, 1) + first * dayMs))
      .where('timestamp', '<', new Date(Date.UTC(2000, 0, 1) + (first + 500) * dayMs))
      .execute();
    stored.push(...rows.map((r) => ({ offset: Number(r.kafka_offset), day: Math.floor((r.timestamp.getTime() - Date.UTC(2000, 0, 1)) / dayMs) })));
  }
  stored.sort((a, b) => a.offset - b.offset);
  assert.deepEqual(stored, Array.from({ length: events }, (_, offset) => ({ offset, day: offset })));
  const { rows } = await sql<{ chunks: number }>`
    SELECT count(*)::int AS chunks FROM _timescaledb_catalog.chunk c JOIN _timescaledb_catalog.hypertable h ON h.id = c.hypertable_id
    WHERE h.table_name = 'todo_event_logs'`.execute(database.db);
  assert.deepEqual(rows, [{ chunks: events }]);
}

describe('on a real TimescaleDB server', { skip: server === undefined ? withoutRealTimescaledb : false }, () => {
  const databases: TestDatabase[] = [];
  const roles: string[] = [];
  const topicSets: TestTopics[] = [];

  async function database(): Promise<TestDatabase> {
    const created = await timescaledbDatabase();
    databases.push(created);
    return created;
  }

  async function topics(partitions: number): Promise<TestTopics> {
    const created = new TestTopics();
    topicSets.push(created);
    await created.create(partitions);
    return created;
  }

  /** A login role with `grants`; its URL for `on`. */
  async function roleWith(on: TestDatabase, prefix: string, grants: (name: string) => string[]): Promise<string> {
    const name = `${prefix}_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    await sql.raw(`CREATE ROLE ${name} LOGIN PASSWORD '${password}'`).execute(on.db);
    roles.push(name);
    for (const grant of grants(name)) await sql.raw(grant).execute(on.db);
    const url = new URL(on.url);
    url.username = name;
    url.password = password;
    return url.toString();
  }

  after(async () => {
    for (const created of topicSets) await created.close();
    for (const created of databases) await created.drop();
    if (roles.length > 0 && server !== undefined) {
      const client = new pg.Client({ connectionString: server });
      await client.connect();
      await client.query(`DROP ROLE IF EXISTS ${roles.join(', ')}`);
      await client.end();
    }
  });

  it('runs the summaries\' refresh policy on the server\'s scheduler, materializing what the rows say', async () => {
    const db = await database();
    await writeEventLogs(db.db, Array.from({ length: 30 }, (_, i) => row('policy', 0, i, new Date(Date.UTC(2025, 10, 1 + (i % 3), 12)))), 5_000);
    const { rows: jobs } = await sql<{ job: number; view: string; schema: string; table: string }>`
      SELECT j.job_id AS job, c.view_name AS view, c.materialization_hypertable_schema AS schema, c.materialization_hypertable_name AS "table"
      FROM timescaledb_information.jobs j
      JOIN timescaledb_information.continuous_aggregates c ON c.view_name = j.hypertable_name
      WHERE j.proc_name = 'policy_refresh_continuous_aggregate' ORDER BY c.view_name`.execute(db.db);
    assert.deepEqual(jobs.map((job) => job.view), ['todo_group_activity_daily', 'todo_group_activity_hourly', 'todo_task_activity_daily', 'todo_task_activity_hourly']);
    const since = new Date();
    for (const { job } of jobs) await sql`SELECT alter_job(${job}, scheduled => true, schedule_interval => interval '1 second', next_start => now())`.execute(db.db);
    await waitFor(
      'every refresh job to succeed after the schedule changed',
      async () => (await sql<{ job: number; successes: number; finished: Date | null }>`
        SELECT job_id AS job, total_successes::int AS successes, last_successful_finish AS finished
        FROM timescaledb_information.job_stats WHERE job_id IN (${sql.join(jobs.map(({ job }) => job))})`.execute(db.db)).rows,
      (stats) => stats.length === 4 && stats.every((stat) => stat.finished !== null && stat.finished > since),
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    for (const { view, schema, table } of jobs) {
      const bucket = view.endsWith('_hourly') ? 'hour' : 'day';
      const { rows } = await sql<{ buckets: number; logs: number }>`
        SELECT count(DISTINCT ${sql.ref(bucket)})::int AS buckets, sum(log_count)::int AS logs FROM ${sql.table(`${schema}.${table}`)}`.execute(db.db);
      assert.deepEqual(rows, [{ buckets: 3, logs: 30 }], `${view} materialized by the job`);
    }
  });

  it('consume stores events across days through binary COPY as a role with only the grants of docs/kubernetes.md (Database roles); logs reads the summaries as a reader', async () => {
    const db = await database();
    const stream = await topics(3);
    const consumer = await roleWith(db, 'ts_consumer', (name) => [
      `GRANT INSERT, SELECT ON todo_event_logs TO ${name}`,
      `GRANT USAGE ON SEQUENCE todo_event_logs_id_seq TO ${name}`,
      `GRANT SELECT, INSERT, UPDATE ON todo_event_log_offsets TO ${name}`,
      `GRANT SELECT ON kysely_migration, todo_history_migration_level TO ${name}`,
    ]);
    const reader = await roleWith(db, 'ts_reader', (name) => [`GRANT SELECT ON todo_event_logs, todo_group_activity_daily, todo_task_activity_daily, todo_group_activity_hourly, todo_task_activity_hourly TO ${name}`]);
    await sql`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`.execute(db.db);
    await stream.produce(Array.from({ length: 600 }, (_, i) => eventOnDay(i, i % 30)));
    const running = startCli(['consume'], { ...stream.consumerEnv(), DATABASE_URL: consumer, HTTP_PORT: String(await findFreePort()) });
    try {
      await waitFor('every event to be stored', () => db.rowCount(), (rows) => rows === 600, { timeoutMs: 60_000, intervalMs: 500 });
    } finally {
      running.child.kill('SIGTERM');
    }
    assert.equal(await running.exited, 0, running.output());
    assert.equal(await assertStoredExactlyOnce(db, stream), 600);
    assert.equal(await chunkCount(db), 30, 'one chunk per day, created by the consumer role');
    // TimescaleDB runs a COPY into a hypertable in its own utility hook, out of pg_stat_statements' sight;
    // the consumer's other way in, INSERT … ON CONFLICT, would be counted there.
    const { rows: inserts } = await sql<{ calls: number }>`
      SELECT coalesce(sum(s.calls), 0)::int AS calls FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
      WHERE d.datname = current_database() AND s.query ILIKE 'insert into%todo_event_logs%'`.execute(db.db);
    assert.deepEqual(inserts, [{ calls: 0 }], 'the rows came in by binary COPY, not by INSERT');
    const asReader = (args: string[]) => runCli(['logs', ...args], { DATABASE_URL: reader, KAFKA_BROKERS: brokers().join(',') });
    const groups = await asReader(['groups']);
    assert.equal(groups.code, 0, groups.output);
    assert.deepEqual(JSON.parse(groups.output), JSON.parse(JSON.stringify(await scannedGroupsSummary(db.db, {}))));
    const tasks = await asReader(['group-tasks', 'group-1']);
    assert.equal(tasks.code, 0, tasks.output);
    assert.deepEqual(JSON.parse(tasks.output), JSON.parse(JSON.stringify(await scannedGroupTasksSummary(db.db, 'group-1', {}))));
  });

  it('takes concurrent writers of different partitions creating the same new chunks at once', async () => {
    const db = await database();
    const pool = new pg.Pool({ connectionString: db.url, max: 4 });
    const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    try {
      const store = new PartitionBatchStore(pool, kysely, 5_000);
      const days = 20;
      const batchesPerWriter = 5;
      await Promise.all(
        [0, 1, 2, 3].map(async (partition) => {
          let from: string | null = null;
          for (let batch = 0; batch < batchesPerWriter; batch += 1) {
            const rows = Array.from({ length: days }, (_, i) => row('concurrent', partition, batch * days + i, new Date(Date.UTC(2024, 0, 1 + i, partition, batch))));
            const to = String((batch + 1) * days);
            await store.inBatchTransaction({ topic: 'concurrent', partition, from, to, clusterId: 'concurrent-test-cluster' }, (trx) => trx.writeRows(rows));
            from = to;
          }
        }),
      );
    } finally {
      await kysely.destroy();
    }
    assert.equal(await db.rowCount(), 4 * 5 * 20);
    assert.equal(await chunkCount(db), 20);
    const offsets = await db.db.selectFrom('todo_event_log_offsets').select(['kafka_partition', 'next_offset']).orderBy('kafka_partition').execute();
    assert.deepEqual(offsets, [0, 1, 2, 3].map((partition) => ({ kafka_partition: partition, next_offset: '100' })));
  });

  it('stores a burst of 5,000 events on 5,000 different days, fetched as one batch, once each with the offsets right', async () => {
    const db = await database();
    const stream = await topics(1);
    await stream.produce(Array.from({ length: 5_000 }, (_, i) => eventOnDay(i, i)));
    const running = startCli(['consume'], {
      ...stream.consumerEnv(),
      DATABASE_URL: db.url,
      HTTP_PORT: String(await findFreePort()),
      LOG_LEVEL: 'info',
      // Room for the whole burst in one fetch: the batch is what must be split.
      KAFKA_MAX_BYTES_PER_PARTITION: String(16 * 1_048_576),
    });
    try {
      await waitFor(
        'the stored offset to reach the end of the burst',
        async () => (await db.db.selectFrom('todo_event_log_offsets').select('next_offset').execute()).map((o) => o.next_offset),
        (stored) => stored[0] === '5000',
        { timeoutMs: 240_000, intervalMs: 1_000 },
      );
      await waitFor('the group to commit past the burst', () => stream.committedOffsets(), (committed) => committed.get(0) === '5000');
    } finally {
      running.child.kill('SIGTERM');
    }
    assert.equal(await running.exited, 0, running.output());
    await assertBurstStoredOnce(db, stream.topic, 5_000);
    const logs = running.logLines();
    assert.deepEqual(logs.filter((line) => line.msg === 'storing batch failed; partition paused until the retry'), []);
    const batches = logs.filter((line) => line.msg === 'batch stored');
    const largest = batches.reduce((most, line) => (Number(line.messages) > Number(most.messages) ? line : most), { messages: 0, transactions: 0 });
    assert.ok(Number(largest.messages) > 1_300, `a batch larger than one transaction's chunk limit was fetched: ${JSON.stringify(batches)}\n${running.output().slice(-4000)}`);
    assert.equal(largest.transactions, Math.ceil(Number(largest.messages) / 100));
  });
});
