import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import type { Database } from '../../src/db/database.js';
import { runCli, startCli } from '../../deploy/local/cli-process.js';
import { waitFor } from '../../deploy/local/system/wait-for.js';
import { createGoTable } from '../support/go-table.js';
import { GoWriter, type TimedWrite } from '../support/go-writer.js';
import { realTimescaledbUrl, withoutRealTimescaledb } from '../support/real-timescaledb.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/** What a build relies on in todo_event_logs and its summary, comparable between two databases. */
async function schemaOf(db: Kysely<Database>): Promise<unknown> {
  const columns = await sql<{ name: string; type: string; notNull: boolean }>`
    SELECT attname AS name, format_type(atttypid, atttypmod) AS type, attnotnull AS "notNull"
    FROM pg_attribute WHERE attrelid = 'todo_event_logs'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`.execute(db);
  const indexes = await sql<{ name: string; definition: string; valid: boolean }>`
    SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS definition, i.indisvalid AS valid
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    WHERE i.indrelid = 'todo_event_logs'::regclass ORDER BY c.relname`.execute(db);
  const triggers = await sql<{ name: string }>`
    SELECT tgname AS name FROM pg_trigger WHERE tgrelid = 'todo_event_logs'::regclass AND NOT tgisinternal ORDER BY tgname`.execute(db);
  const sequence = await sql<{ type: string }>`
    SELECT format_type(s.seqtypid, NULL) AS type FROM pg_sequence s
    WHERE s.seqrelid = pg_get_serial_sequence('todo_event_logs', 'id')::regclass`.execute(db);
  const summary = await sql<{ name: string; type: string }>`
    SELECT attname AS name, format_type(atttypid, atttypmod) AS type
    FROM pg_attribute WHERE attrelid = 'todo_group_activity_daily'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`.execute(db);
  return { columns: columns.rows, indexes: indexes.rows, triggers: triggers.rows, sequence: sequence.rows, summary: summary.rows };
}

/** A fingerprint of the rows the Go service stored (ids up to `lastId`). */
async function goRowsFingerprint(db: Kysely<Database>, lastId: number): Promise<{ rows: string; digest: string }> {
  const { rows } = await sql<{ rows: string; digest: string }>`
    SELECT count(*)::text AS rows, md5(string_agg(concat_ws('|', id, timestamp, event_type, entity, entity_id, group_id, group_name,
      task_id, task_name, changes, user_name, workspace), ',' ORDER BY id)) AS digest
    FROM todo_event_logs WHERE id <= ${lastId}`.execute(db);
  return rows[0] ?? { rows: '0', digest: '' };
}

/** Summary rows that a scan of todo_event_logs does not give, and scanned ones the summary lacks, over the daily and the hourly summary. */
async function summaryDifferences(db: Kysely<Database>): Promise<number> {
  let differences = 0;
  for (const [bucket, summary] of [['day', 'todo_group_activity_daily'], ['hour', 'todo_group_activity_hourly']] as const) {
    const { rows } = await sql<{ differences: string }>`
      WITH scanned AS (
        SELECT date_bin(${sql.raw(`INTERVAL '1 ${bucket}'`)}, timestamp, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket, group_id, group_name,
               count(*) AS log_count, max(timestamp) AS last_activity
        FROM todo_event_logs WHERE group_id IS NOT NULL GROUP BY 1, 2, 3),
      summary AS (SELECT ${sql.ref(bucket)} AS bucket, group_id, group_name, log_count, last_activity FROM ${sql.table(summary)})
      SELECT ((SELECT count(*) FROM (SELECT * FROM scanned EXCEPT SELECT * FROM summary) missing)
            + (SELECT count(*) FROM (SELECT * FROM summary EXCEPT SELECT * FROM scanned) extra))::text AS differences`.execute(db);
    differences += Number(rows[0]?.differences);
  }
  return differences;
}

/** How many rows each of `writes` left in todo_event_logs: exactly one each, or the ones that are not. */
async function writesNotStoredOnce(db: Kysely<Database>, writes: readonly TimedWrite[], prefix: string): Promise<string[]> {
  const { rows } = await sql<{ entityId: string; copies: string }>`
    SELECT entity_id AS "entityId", count(*)::text AS copies FROM todo_event_logs WHERE entity_id LIKE ${`${prefix}-%`} GROUP BY entity_id`.execute(db);
  const copies = new Map(rows.map((row) => [row.entityId, Number(row.copies)]));
  const wrong = writes.filter((write) => copies.get(write.entityId) !== 1).map((write) => `${write.entityId}: ${copies.get(write.entityId) ?? 0}`);
  const unknown = [...copies.keys()].filter((entityId) => !writes.some((write) => write.entityId === entityId));
  return [...wrong, ...unknown.map((entityId) => `${entityId}: not written`)];
}

/**
 * `migrate latest` (the CLI, as the chart's Job runs it) while the Go service keeps inserting: the writer
 * has stored rows before it starts and stores more after it ends, so its writes span the whole run.
 */
async function migrateWhileGoWrites(database: TestDatabase, writerName: string, env: Record<string, string> = {}): Promise<TimedWrite[]> {
  const writer = new GoWriter(database.url, writerName);
  try {
    await waitFor('the Go writer to store a row', () => Promise.resolve(writer.completed.length), (count) => count > 0);
    const { code, output } = await runCli(['migrate', 'latest'], { DATABASE_URL: database.url, ...env });
    assert.equal(code, 0, output);
    const atEnd = writer.completed.length;
    await waitFor('the Go writer to store rows after migrate', () => Promise.resolve(writer.completed.length), (count) => count > atEnd + 5);
  } finally {
    await writer.stop();
  }
  return [...writer.completed];
}

describe('migrate adopting the Go service\'s table', () => {
  const goRows = 20_000;
  let adopted: TestDatabase;
  let fresh: TestDatabase;

  before(async () => {
    [adopted, fresh] = await Promise.all([createTestDatabase({ migrated: false }), createTestDatabase()]);
    await createGoTable(adopted.db, goRows, { days: 40 });
  });

  after(async () => {
    await Promise.all([adopted.drop(), fresh.drop()]);
  });

  it('keeps the Go rows, counts every row in the summaries once, and stores every row the Go service writes meanwhile once', async () => {
    const before = await goRowsFingerprint(adopted.db, goRows);
    const writes = await migrateWhileGoWrites(adopted, 'go-writer');
    assert.deepEqual(await goRowsFingerprint(adopted.db, goRows), before);
    assert.deepEqual(await writesNotStoredOnce(adopted.db, writes, 'go-writer'), []);
    assert.equal(await summaryDifferences(adopted.db), 0);
  });

  it('ends with the schema a fresh database gets', async () => {
    assert.deepEqual(await schemaOf(adopted.db), await schemaOf(fresh.db));
  });
});

describe('migrate after an interrupted concurrent build of the Kafka coordinates index', () => {
  let database: TestDatabase;
  let snapshotHolder: pg.Client;

  before(async () => {
    database = await createTestDatabase({ migrated: false });
    await createGoTable(database.db, 2_000, { days: 10 });
    snapshotHolder = new pg.Client({ connectionString: database.url });
    await snapshotHolder.connect();
  });

  after(async () => {
    await snapshotHolder.end();
    await database.drop();
  });

  const coordinatesIndex = async (): Promise<{ valid: boolean; unique: boolean } | undefined> => {
    const { rows } = await sql<{ valid: boolean; unique: boolean }>`
      SELECT indisvalid AS valid, indisunique AS unique FROM pg_index WHERE indexrelid = to_regclass('todo_event_logs_kafka_coordinates_key')`.execute(database.db);
    return rows[0];
  };

  it('leaves an INVALID index when the build is cut off, and the next run replaces it with a valid one', async () => {
    // An open snapshot makes the concurrent build wait before it can mark the index valid.
    await snapshotHolder.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await snapshotHolder.query('SELECT 1');
    const migrating = startCli(['migrate', 'latest'], { DATABASE_URL: database.url });
    const { rows } = await waitFor(
      'the concurrent index build to wait for the open snapshot',
      () => sql<{ pid: number }>`
        SELECT pid FROM pg_stat_activity
        WHERE datname = current_database() AND query LIKE '%CREATE UNIQUE INDEX CONCURRENTLY%' AND wait_event_type = 'Lock'`.execute(database.db),
      (result) => result.rows.length === 1,
    );
    await sql`SELECT pg_terminate_backend(${rows[0]?.pid ?? 0})`.execute(database.db);
    assert.equal(await migrating.exited, 1, migrating.output());
    await snapshotHolder.query('COMMIT');
    assert.deepEqual(await coordinatesIndex(), { valid: false, unique: true });

    const { code, output } = await runCli(['migrate', 'latest'], { DATABASE_URL: database.url });
    assert.equal(code, 0, output);
    assert.deepEqual(await coordinatesIndex(), { valid: true, unique: true });
    const check = await runCli(['migrate', 'check'], { DATABASE_URL: database.url });
    assert.equal(check.code, 0, check.output);
  });
});

describe('migrate adopting the Go service\'s hypertable on TimescaleDB', () => {
  const server = realTimescaledbUrl();
  const goRows = 20_000;
  let database: TestDatabase | undefined;

  before(async () => {
    if (server === undefined) return;
    database = await createTestDatabase({ server, migrated: false });
    await sql`CREATE EXTENSION IF NOT EXISTS timescaledb`.execute(database.db);
    await createGoTable(database.db, goRows, { days: 20 });
    await sql`SELECT create_hypertable('todo_event_logs', 'timestamp', chunk_time_interval => INTERVAL '1 day', migrate_data => TRUE)`.execute(database.db);
  });

  after(async () => {
    await database?.drop();
  });

  it('keeps the rows, ends with a valid unique coordinates index and a 64-bit id, and stores every row written meanwhile once', { skip: server === undefined ? withoutRealTimescaledb : false }, async () => {
    assert.ok(database !== undefined);
    const before = await goRowsFingerprint(database.db, goRows);
    const writes = await migrateWhileGoWrites(database, 'go-hypertable-writer', { DATABASE_TIMESCALEDB: 'required' });
    assert.deepEqual(await goRowsFingerprint(database.db, goRows), before);
    assert.deepEqual(await writesNotStoredOnce(database.db, writes, 'go-hypertable-writer'), []);
    const { rows } = await sql<{ valid: boolean; unique: boolean; idType: string }>`
      SELECT i.indisvalid AS valid, i.indisunique AS unique,
             (SELECT format_type(atttypid, NULL) FROM pg_attribute WHERE attrelid = 'todo_event_logs'::regclass AND attname = 'id') AS "idType"
      FROM pg_index i WHERE i.indexrelid = to_regclass('todo_event_logs_kafka_coordinates_key')`.execute(database.db);
    assert.deepEqual(rows[0], { valid: true, unique: true, idType: 'bigint' });
    assert.equal(await summaryDifferences(database.db), 0);
  });
});

describe('migrate after a migration committed but was not recorded as executed', () => {
  let database: TestDatabase;

  before(async () => {
    database = await createTestDatabase();
  });

  after(async () => {
    await database.drop();
  });

  it('records it without running it again: its recorded level says its transaction committed', async () => {
    const summaries = '2026-12-02T00-01-00_daily-activity-summaries';
    await sql`
      INSERT INTO todo_event_logs (timestamp, event_type, entity, entity_id, group_id, group_name)
      VALUES ('2025-11-01T08:00:00Z', 'created', 'Group', 'g-1', 'g-1', 'Team')`.execute(database.db);
    // As if the process stopped between the migration's commit and Kysely's record of it; the emptied
    // summary tells whether its backfill ran again.
    await sql`DELETE FROM kysely_migration WHERE name = ${summaries}`.execute(database.db);
    await sql`DELETE FROM todo_group_activity_daily`.execute(database.db);

    const { code, output } = await runCli(['migrate', 'latest'], { DATABASE_URL: database.url });
    assert.equal(code, 0, output);
    const { rows: recorded } = await sql<{ name: string }>`SELECT name FROM kysely_migration WHERE name = ${summaries}`.execute(database.db);
    assert.equal(recorded.length, 1);
    const { rows: summary } = await sql<{ count: string }>`SELECT count(*)::text AS count FROM todo_group_activity_daily`.execute(database.db);
    assert.equal(summary[0]?.count, '0');
  });
});
