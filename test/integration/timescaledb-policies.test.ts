import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { startCli } from '../../deploy/local/cli-process.js';
import type { Database } from '../../src/db/database.js';
import { writeEventLogs } from '../../src/db/event-log-writer.js';
import { OffsetFencedError, PartitionBatchStore, type OffsetAdvance } from '../../src/db/partition-batch-store.js';
import { getGroupLogs, getGroupsSummary, getGroupTasksSummary, getTaskLogs, type ReadOptions } from '../../src/db/read-queries.js';
import type { TodoEventLogRow } from '../../src/events/todo-event-log-row.js';
import { realTimescaledbUrl, withoutRealTimescaledb } from '../support/real-timescaledb.js';
import { scannedGroupsSummary, scannedGroupTasksSummary } from '../support/scanned-summaries.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

const server = realTimescaledbUrl();
const dayMs = 86_400_000;
const today = Math.floor(Date.now() / dayMs) * dayMs;

/** `hours` into the UTC day `daysAgo` days before today. */
function at(daysAgo: number, hours = 0): Date {
  return new Date(today - daysAgo * dayMs + hours * 3_600_000);
}

type PolicyEnv = Partial<Record<'TIMESCALEDB_COMPRESS_AFTER_DAYS' | 'TIMESCALEDB_DROP_RAW_AFTER_DAYS' | 'TIMESCALEDB_SUMMARY_REFRESH_DAYS', string>>;

async function migrateWith(database: TestDatabase, policies: PolicyEnv): Promise<{ code: number | null; output: string; logs: Record<string, unknown>[] }> {
  const cli = startCli(['migrate', 'latest'], { DATABASE_URL: database.url, ...policies });
  const code = await cli.exited;
  return { code, output: cli.output(), logs: cli.logLines() };
}

/** The action migrate logged for each policy. */
function policyActions(logs: readonly Record<string, unknown>[]): Record<string, unknown> {
  return Object.fromEntries(logs.filter((line) => 'policy' in line).map((line) => [line.policy, line.action]));
}

interface PolicyJob {
  job: number;
  proc: string;
  relation: string;
  after: string | null;
}

/** The policy jobs of the test database, with the interval each one is about. */
async function policyJobs(database: TestDatabase): Promise<PolicyJob[]> {
  const { rows } = await sql<PolicyJob>`
    SELECT job_id AS job, proc_name AS proc, hypertable_name AS relation,
      coalesce(config->>'compress_after', config->>'drop_after', config->>'start_offset') AS after
    FROM timescaledb_information.jobs WHERE hypertable_name IS NOT NULL ORDER BY proc_name, hypertable_name`.execute(database.db);
  return rows;
}

/** The jobs run only when a test runs them: the test's data lies in the past, where every policy would act at once. */
async function stopScheduler(database: TestDatabase): Promise<void> {
  await sql`SELECT alter_job(job_id, scheduled => false) FROM timescaledb_information.jobs WHERE hypertable_name IS NOT NULL`.execute(database.db);
}

async function runJobs(database: TestDatabase, proc: string): Promise<number> {
  const { rows } = await sql<{ job: number }>`SELECT job_id AS job FROM timescaledb_information.jobs WHERE proc_name = ${proc}`.execute(database.db);
  for (const { job } of rows) await sql`CALL run_job(${job})`.execute(database.db);
  return rows.length;
}

async function chunks(database: TestDatabase): Promise<{ compressed: number; uncompressed: number }> {
  const { rows } = await sql<{ compressed: number; uncompressed: number }>`
    SELECT count(*) FILTER (WHERE is_compressed)::int AS compressed, count(*) FILTER (WHERE NOT is_compressed)::int AS uncompressed
    FROM timescaledb_information.chunks WHERE hypertable_name = 'todo_event_logs'`.execute(database.db);
  return rows[0] ?? { compressed: 0, uncompressed: 0 };
}

const groups = ['group-a', 'group-b', 'group-c'];

function eventRow(offset: number, time: Date, partition = 0): TodoEventLogRow {
  const group = groups[offset % groups.length] ?? 'group-a';
  const task = `${group}-task-${offset % 4}`;
  return {
    timestamp: time.toISOString(), eventType: offset % 2 === 0 ? 'created' : 'updated', entity: 'Task', entityId: task, groupId: group, groupName: `Group ${group}`,
    taskId: task, taskName: `Task ${task}`, changes: null, userName: 'ann', workspace: 'home', eventData: null, kafka: { topic: 'policies', partition, offset: String(offset) },
  };
}

/** 24 events on each of `days`, spread over the day. */
function rowsOnDays(days: readonly number[], firstOffset: number): TodoEventLogRow[] {
  return days.flatMap((daysAgo, dayIndex) =>
    Array.from({ length: 24 }, (_, i) => eventRow(firstOffset + dayIndex * 24 + i, at(daysAgo, i + (i % 5) / 10))),
  );
}

/** The answers of the four read queries: whole history, windows with partial days at the edges, limits. */
async function readAnswers(db: Kysely<Database>): Promise<unknown> {
  const windows: ReadOptions[] = [{}, { since: at(205, 5), until: at(195, 7) }, { since: at(62, 13), until: at(50, 2) }, { since: at(3, 6) }, { limit: 5 }];
  const answers: unknown[] = [];
  for (const options of windows) {
    answers.push(await getGroupsSummary(db, options));
    for (const group of groups) {
      answers.push(await getGroupLogs(db, group, options));
      answers.push(await getGroupTasksSummary(db, group, options));
      answers.push(await getTaskLogs(db, `${group}-task-1`, options));
    }
  }
  return answers;
}

describe('TimescaleDB compression and retention policies, set by migrate', () => {
  const databases: TestDatabase[] = [];
  after(async () => {
    for (const database of databases) await database.drop();
  });

  it('refuses policy settings on plain PostgreSQL, naming each, after migrating the schema', async () => {
    const database = await createTestDatabase({ migrated: false });
    databases.push(database);
    const { code, output, logs } = await migrateWith(database, { TIMESCALEDB_COMPRESS_AFTER_DAYS: '7', TIMESCALEDB_DROP_RAW_AFTER_DAYS: '90', TIMESCALEDB_SUMMARY_REFRESH_DAYS: '30' });
    assert.equal(code, 1, output);
    const errors = logs.filter((line) => line.level === 'error');
    assert.equal(errors.length, 1, output);
    assert.match(String(errors[0]?.msg), /^todo_event_logs is a plain PostgreSQL table, which has no compression, retention or summary refresh policy: /);
    for (const name of ['TIMESCALEDB_COMPRESS_AFTER_DAYS', 'TIMESCALEDB_DROP_RAW_AFTER_DAYS', 'TIMESCALEDB_SUMMARY_REFRESH_DAYS']) assert.match(String(errors[0]?.msg), new RegExp(name));
    assert.doesNotMatch(output, /\n\s+at /, 'no stack trace');
    const unset = await migrateWith(database, {});
    assert.equal(unset.code, 0, unset.output);
  });

  describe('on a real TimescaleDB server', { skip: server === undefined ? withoutRealTimescaledb : false }, () => {
    async function database(policies: PolicyEnv): Promise<TestDatabase> {
      const created = await createTestDatabase({ server, migrated: false });
      databases.push(created);
      const { code, output } = await migrateWith(created, policies);
      assert.equal(code, 0, output);
      assert.match(output, /todo_event_logs is a TimescaleDB hypertable/);
      return created;
    }

    it('adds, changes and removes the policies and the summaries\' refresh window, and a second run changes nothing', async () => {
      const db = await database({});
      assert.deepEqual((await policyJobs(db)).map(({ proc, relation, after }) => [proc, relation, after]), [
        ['policy_refresh_continuous_aggregate', 'todo_group_activity_daily', null],
        ['policy_refresh_continuous_aggregate', 'todo_group_activity_hourly', null],
        ['policy_refresh_continuous_aggregate', 'todo_task_activity_daily', null],
        ['policy_refresh_continuous_aggregate', 'todo_task_activity_hourly', null],
      ]);

      const on = { TIMESCALEDB_COMPRESS_AFTER_DAYS: '7', TIMESCALEDB_DROP_RAW_AFTER_DAYS: '90', TIMESCALEDB_SUMMARY_REFRESH_DAYS: '30' };
      const added = await migrateWith(db, on);
      assert.equal(added.code, 0, added.output);
      assert.deepEqual(policyActions(added.logs), {
        'compression settings': 'added', 'compression policy': 'added', 'summary refresh window': 'changed', 'retention policy': 'added',
      });
      const jobs = await policyJobs(db);
      assert.deepEqual(jobs.map(({ proc, relation, after }) => [proc, relation, after]), [
        ['policy_compression', 'todo_event_logs', '7 days'],
        ['policy_refresh_continuous_aggregate', 'todo_group_activity_daily', '30 days'],
        ['policy_refresh_continuous_aggregate', 'todo_group_activity_hourly', '30 days'],
        ['policy_refresh_continuous_aggregate', 'todo_task_activity_daily', '30 days'],
        ['policy_refresh_continuous_aggregate', 'todo_task_activity_hourly', '30 days'],
        ['policy_retention', 'todo_event_logs', '90 days'],
      ]);
      const { rows: settings } = await sql<{ segmentby: string; orderby: string }>`
        SELECT segmentby, orderby FROM timescaledb_information.hypertable_columnstore_settings WHERE hypertable = 'todo_event_logs'::regclass`.execute(db.db);
      assert.deepEqual(settings, [{ segmentby: '', orderby: '"timestamp" DESC,id DESC' }]);

      const again = await migrateWith(db, on);
      assert.equal(again.code, 0, again.output);
      assert.deepEqual(new Set(Object.values(policyActions(again.logs))), new Set(['unchanged']));
      assert.deepEqual(await policyJobs(db), jobs);

      const changed = await migrateWith(db, { TIMESCALEDB_COMPRESS_AFTER_DAYS: '14', TIMESCALEDB_DROP_RAW_AFTER_DAYS: '120', TIMESCALEDB_SUMMARY_REFRESH_DAYS: '60' });
      assert.equal(changed.code, 0, changed.output);
      assert.deepEqual(policyActions(changed.logs), {
        'compression settings': 'unchanged', 'compression policy': 'changed', 'summary refresh window': 'changed', 'retention policy': 'changed',
      });
      assert.deepEqual(await policyJobs(db), jobs.map((job) => ({ ...job, after: { '7 days': '14 days', '30 days': '60 days', '90 days': '120 days' }[job.after ?? ''] })), 'the same jobs, altered');

      const off = await migrateWith(db, {});
      assert.equal(off.code, 0, off.output);
      assert.deepEqual(policyActions(off.logs), {
        'compression settings': 'absent', 'compression policy': 'removed', 'summary refresh window': 'changed', 'retention policy': 'removed',
      });
      assert.deepEqual((await policyJobs(db)).map(({ proc, after }) => [proc, after]), [
        ['policy_refresh_continuous_aggregate', null],
        ['policy_refresh_continuous_aggregate', null],
        ['policy_refresh_continuous_aggregate', null],
        ['policy_refresh_continuous_aggregate', null],
      ]);
    });

    it('answers the read queries and summaries the same after compression, and the summaries for the days retention dropped', async () => {
      const db = await database({ TIMESCALEDB_COMPRESS_AFTER_DAYS: '7', TIMESCALEDB_DROP_RAW_AFTER_DAYS: '90', TIMESCALEDB_SUMMARY_REFRESH_DAYS: '30' });
      await stopScheduler(db);
      const oldDays = [204, 203, 200, 196];
      const recentDays = [61, 60, 55, 50, 20, 10, 2, 1, 0];
      await writeEventLogs(db.db, [...rowsOnDays(oldDays, 0), ...rowsOnDays(recentDays, 1_000)], 5_000);
      // The summaries' history as it was materialized while those days were recent.
      for (const summary of ['todo_group_activity_daily', 'todo_task_activity_daily', 'todo_group_activity_hourly', 'todo_task_activity_hourly']) {
        await sql`CALL refresh_continuous_aggregate(${summary}::regclass, NULL, ${at(1)}::timestamptz)`.execute(db.db);
      }

      const before = await readAnswers(db.db);
      assert.deepEqual(await getGroupsSummary(db.db, {}), await scannedGroupsSummary(db.db, {}));
      assert.deepEqual(await getGroupTasksSummary(db.db, 'group-b', { since: at(205, 5) }), await scannedGroupTasksSummary(db.db, 'group-b', { since: at(205, 5) }));

      const { rows: compressed } = await sql<{ chunk: string }>`
        SELECT compress_chunk(c)::text AS chunk FROM show_chunks('todo_event_logs', older_than => ${at(7)}::timestamptz) c`.execute(db.db);
      assert.equal(compressed.length, oldDays.length + 6);
      assert.deepEqual(await chunks(db), { compressed: oldDays.length + 6, uncompressed: 3 });
      assert.deepEqual(await readAnswers(db.db), before, 'the same answers from compressed chunks');
      assert.equal(await runJobs(db, 'policy_refresh_continuous_aggregate'), 4);
      assert.deepEqual(await readAnswers(db.db), before, 'the same answers after the summaries were refreshed over compressed chunks');

      const summaryBefore = await getGroupsSummary(db.db, {});
      const oldWindow = { since: at(210), until: at(190) };
      const oldSummaryBefore = await getGroupsSummary(db.db, oldWindow);
      const oldTasksBefore = await getGroupTasksSummary(db.db, 'group-c', oldWindow);
      assert.equal(oldSummaryBefore.reduce((sum, group) => sum + group.logCount, 0), oldDays.length * 24);
      assert.equal(await runJobs(db, 'policy_retention'), 1);
      const { rows: left } = await sql<{ rows: number }>`SELECT count(*)::int AS rows FROM todo_event_logs WHERE timestamp < ${at(90)}`.execute(db.db);
      assert.deepEqual(left, [{ rows: 0 }], 'retention dropped the raw rows of the old days');
      assert.deepEqual(await chunks(db), { compressed: 6, uncompressed: 3 });
      // drop_chunks marked the dropped days as changed: a refresh reaching back to them would count them from no rows.
      assert.equal(await runJobs(db, 'policy_refresh_continuous_aggregate'), 4);
      assert.deepEqual(await getGroupsSummary(db.db, oldWindow), oldSummaryBefore);
      assert.deepEqual(await getGroupTasksSummary(db.db, 'group-c', oldWindow), oldTasksBefore);
      assert.deepEqual(await getGroupsSummary(db.db, {}), summaryBefore);
      assert.deepEqual(await getGroupLogs(db.db, 'group-a', oldWindow), [], 'the raw rows are gone');
    });

    it('stores a late event into a compressed chunk once through COPY, and its two redeliveries not again', async () => {
      const db = await database({ TIMESCALEDB_COMPRESS_AFTER_DAYS: '7' });
      await stopScheduler(db);
      const pool = new pg.Pool({ connectionString: db.url, max: 2 });
      // pg-pool's end() can resolve before its idle connections have closed; dropping the database ends them, which the pool reports.
      pool.on('error', () => undefined);
      const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
      try {
        const store = new PartitionBatchStore(pool, kysely, 5_000);
        const batch = (from: string | null, to: string): OffsetAdvance => ({ topic: 'policies', partition: 0, from, to, clusterId: 'policies-test-cluster' });
        const onTime = Array.from({ length: 100 }, (_, offset) => eventRow(offset, at(20, offset / 10)));
        assert.deepEqual(await store.inBatchTransaction(batch(null, '100'), (trx) => trx.writeRows(onTime)), { inserted: 100, duplicates: 0 });
        await sql`SELECT compress_chunk(c) FROM show_chunks('todo_event_logs') c`.execute(db.db);
        assert.deepEqual(await chunks(db), { compressed: 1, uncompressed: 0 });

        const late = eventRow(100, at(20, 4.25));
        assert.deepEqual(await store.inBatchTransaction(batch('100', '101'), (trx) => trx.writeRows([late])), { inserted: 1, duplicates: 0 });
        assert.deepEqual(await chunks(db), { compressed: 1, uncompressed: 0 }, 'the late event went into the compressed chunk');
        // A redelivery to a consumer that still continues from 100 (it lost the partition meanwhile): the fence refuses it.
        await assert.rejects(store.inBatchTransaction(batch('100', '101'), (trx) => trx.writeRows([late])), OffsetFencedError);
        // A redelivery after `offsets reset` moved the stored offset back: COPY meets the unique index in the compressed chunk, INSERT … ON CONFLICT skips it.
        await db.db.updateTable('todo_event_log_offsets').set({ next_offset: '100' }).execute();
        assert.deepEqual(await store.inBatchTransaction(batch('100', '101'), (trx) => trx.writeRows([late])), { inserted: 0, duplicates: 1 });
      } finally {
        await kysely.destroy();
      }
      const { rows } = await sql<{ offset: string; stored: number }>`
        SELECT kafka_offset AS offset, count(*)::int AS stored FROM todo_event_logs GROUP BY kafka_offset HAVING count(*) <> 1 OR kafka_offset = 100`.execute(db.db);
      assert.deepEqual(rows, [{ offset: '100', stored: 1 }]);
      assert.equal(await db.rowCount(), 101);
      const offsets = await db.db.selectFrom('todo_event_log_offsets').select('next_offset').execute();
      assert.deepEqual(offsets, [{ next_offset: '101' }]);
      assert.equal(await runJobs(db, 'policy_refresh_continuous_aggregate'), 4);
      const groupB = (await getGroupsSummary(db.db, { since: at(20), until: at(19) })).find((group) => group.groupId === 'group-b');
      assert.equal(groupB?.logCount, 34, 'the summary counts the late event once: offsets 1, 4, …, 97 and 100');
    });
  });
});
