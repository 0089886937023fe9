import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/load-config.js';
import { createDatabase } from '../../src/db/create-database.js';
import { loadBuildMigrations } from '../../src/db/migration-catalog.js';
import { columnLimits } from '../../src/events/column-limits.js';
import { runCli } from '../../deploy/local/cli-process.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { brokers } from '../support/test-topics.js';

interface Status {
  compatible: boolean;
  reason: string;
  pending: string[];
  ahead: string[];
  hypertable: boolean;
  migrations: { name: string; inBuild: boolean; executed: boolean }[];
}

describe('todo-history migrate', () => {
  let database: TestDatabase;
  const env = () => ({ DATABASE_URL: database.url, KAFKA_BROKERS: brokers().join(',') });

  async function status(): Promise<Status> {
    const { code, output } = await runCli(['migrate', 'status'], env());
    assert.equal(code, 0, output);
    return JSON.parse(output) as Status;
  }

  before(async () => {
    database = await createTestDatabase({ migrated: false });
  });

  after(async () => {
    await database.drop();
  });

  it('reports every migration pending on an empty database', async () => {
    const before = await status();
    assert.equal(before.compatible, false);
    assert.ok(before.migrations.length >= 3 && before.migrations.every((m) => m.inBuild && !m.executed));
    assert.deepEqual(before.pending, before.migrations.map((m) => m.name));
  });

  it('refuses to consume before the schema is migrated, saying what to run', async () => {
    const { code, output } = await runCli(['consume'], env());
    assert.equal(code, 1);
    assert.match(output, /schema lacks migrations this build needs .*todo-history migrate latest/);
  });

  it('is safe to run twice at once: both succeed and the schema is migrated once', async () => {
    const [first, second] = await Promise.all([runCli(['migrate', 'latest'], env()), runCli(['migrate', 'latest'], env())]);
    assert.equal(first.code, 0, first.output);
    assert.equal(second.code, 0, second.output);
    assert.match(first.output + second.output, /the timescaledb extension is not installed on the server: todo_event_logs stays a plain table/);
    assert.match(first.output + second.output, /schema migrated; todo_event_logs is a plain table, so hypertable features are off/);
    const after = await status();
    assert.equal(after.compatible, true);
    assert.equal(after.hypertable, false);
    assert.ok(after.migrations.every((m) => m.executed));
  });

  it('creates the reference table with its four indexes and the Kafka coordinates key', async () => {
    const { rows: indexes } = await sql<{ indexname: string; indexdef: string }>`
      SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'todo_event_logs' ORDER BY indexname`.execute(database.db);
    const byName = new Map(indexes.map((i) => [i.indexname, i.indexdef.replace(/^.* USING btree /, '')]));
    assert.equal(byName.get('idx_event_type'), '(event_type, "timestamp" DESC)');
    assert.equal(byName.get('idx_group_id'), '(group_id, "timestamp" DESC)');
    assert.equal(byName.get('idx_task_id'), '(task_id, "timestamp" DESC)');
    assert.equal(byName.get('idx_entity'), '(entity, entity_id, "timestamp" DESC)');
    assert.equal(byName.get('todo_event_logs_kafka_coordinates_key'), '(kafka_topic, kafka_partition, kafka_offset, "timestamp")');
    assert.match(indexes.find((i) => i.indexname === 'todo_event_logs_kafka_coordinates_key')?.indexdef ?? '', /UNIQUE/);
    assert.equal(byName.get('todo_event_logs_pkey'), '("timestamp", id)');
  });

  it('declares the same varchar lengths the consumer validates against', async () => {
    const { rows } = await sql<{ column_name: string; character_maximum_length: number | null }>`
      SELECT column_name, character_maximum_length FROM information_schema.columns
      WHERE table_name = 'todo_event_logs' AND character_maximum_length IS NOT NULL`.execute(database.db);
    assert.deepEqual(Object.fromEntries(rows.map((r) => [r.column_name, r.character_maximum_length])), { ...columnLimits });
  });

  it('migrate check fails while the schema lacks a migration of the build, naming it, and passes once it is migrated', async () => {
    const { code, output } = await runCli(['migrate', 'check'], env());
    assert.equal(code, 0, output);
    const down = await runCli(['migrate', 'down'], env());
    assert.equal(down.code, 0, down.output);
    const behind = await runCli(['migrate', 'check'], env());
    assert.equal(behind.code, 1);
    const last = (await loadBuildMigrations()).at(-1)?.name ?? '';
    assert.ok(behind.output.includes(`schema lacks migrations this build needs (${last})`), behind.output);
    const up = await runCli(['migrate', 'latest'], env());
    assert.equal(up.code, 0, up.output);
    const unreachable = await runCli(['migrate', 'check'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' });
    assert.equal(unreachable.code, 1);
  });

  it('runs its connections with the statement and lock timeouts it is given (the chart\'s migration Job: none and 10 s)', async () => {
    const timeouts = async (env: Record<string, string>): Promise<[string | undefined, string | undefined]> => {
      const db = createDatabase(loadConfig({ DATABASE_URL: database.url, ...env }).database, pino({ level: 'silent' }));
      try {
        const { rows } = await sql<{ statement: string; lock: string }>`SELECT current_setting('statement_timeout') AS statement, current_setting('lock_timeout') AS lock`.execute(db);
        return [rows[0]?.statement, rows[0]?.lock];
      } finally {
        await db.destroy();
      }
    };
    assert.deepEqual(await timeouts({ DATABASE_STATEMENT_TIMEOUT_MS: '0', DATABASE_LOCK_TIMEOUT_MS: '10000' }), ['0', '10s']);
    assert.deepEqual(await timeouts({}), ['30s', '0'], 'the consumer\'s defaults');
  });

  it('steps down and up again, one migration at a time', async () => {
    const down = await runCli(['migrate', 'down'], env());
    assert.equal(down.code, 0, down.output);
    const afterDown = await status();
    assert.equal(afterDown.migrations.filter((m) => !m.executed).length, 1);
    assert.equal(afterDown.compatible, false);

    for (let step = 0; step < afterDown.migrations.length; step += 1) {
      const { code, output } = await runCli(['migrate', 'down'], env());
      assert.equal(code, 0, output);
    }
    const empty = await status();
    assert.ok(empty.migrations.every((m) => !m.executed));
    const { rows } = await sql<{ exists: boolean }>`SELECT to_regclass('todo_event_logs') IS NOT NULL AS exists`.execute(database.db);
    assert.equal(rows[0]?.exists, false);

    const up = await runCli(['migrate', 'up'], env());
    assert.equal(up.code, 0, up.output);
    assert.equal((await status()).migrations.filter((m) => m.executed).length, 1);
    const latest = await runCli(['migrate', 'latest'], env());
    assert.equal(latest.code, 0, latest.output);
    assert.equal((await status()).compatible, true);
  });
});

describe('todo-history migrate over the Go service\'s existing table', () => {
  let database: TestDatabase;

  before(async () => {
    database = await createTestDatabase({ migrated: false });
    await sql`
      CREATE TABLE todo_event_logs (
        id SERIAL, timestamp TIMESTAMPTZ NOT NULL DEFAULT NOW(), event_type VARCHAR(50) NOT NULL,
        entity VARCHAR(50) NOT NULL, entity_id VARCHAR(100) NOT NULL, group_id VARCHAR(100),
        group_name VARCHAR(255), task_id VARCHAR(100), task_name VARCHAR(255), changes TEXT,
        user_name VARCHAR(100), workspace VARCHAR(100), event_data JSONB, PRIMARY KEY (timestamp, id))`.execute(database.db);
    await sql`CREATE INDEX idx_group_id ON todo_event_logs (group_id, timestamp DESC)`.execute(database.db);
    await sql`
      INSERT INTO todo_event_logs (timestamp, event_type, entity, entity_id, group_id, group_name, task_id, task_name, changes, user_name, workspace)
      VALUES ('2025-11-01T08:00:00Z', 'created', 'Group', 'g-old', 'g-old', 'Legacy', '', '', 'made by Go', 'carol', 'default')`.execute(database.db);
  });

  after(async () => {
    await database.drop();
  });

  it('adopts the table and keeps its rows, with no Kafka coordinates for them', async () => {
    const { code, output } = await runCli(['migrate', 'latest'], { DATABASE_URL: database.url });
    assert.equal(code, 0, output);
    const rows = await database.db.selectFrom('todo_event_logs').selectAll().execute();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.changes, 'made by Go');
    assert.equal(rows[0]?.kafka_offset, null);
  });

  it('widens the Go table\'s 32-bit id and its sequence, so rows past 2^31 - 1 still store', async () => {
    const { rows: columns } = await sql<{ type: string }>`
      SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'todo_event_logs'::regclass AND attname = 'id'`.execute(database.db);
    assert.equal(columns[0]?.type, 'bigint');
    await sql`SELECT setval(pg_get_serial_sequence('todo_event_logs', 'id'), 2147483647)`.execute(database.db);
    await sql`
      INSERT INTO todo_event_logs (timestamp, event_type, entity, entity_id)
      VALUES ('2025-11-02T08:00:00Z', 'created', 'Task', 't-after-int4')`.execute(database.db);
    const { rows } = await sql<{ id: string }>`SELECT id FROM todo_event_logs WHERE entity_id = 't-after-int4'`.execute(database.db);
    assert.equal(rows[0]?.id, '2147483648');
  });
});
