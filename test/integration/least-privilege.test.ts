import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { getGroupsSummary } from '../../src/db/read-queries.js';
import { runCli, startCli } from '../../deploy/local/cli-process.js';
import { findFreePort } from '../../deploy/local/system/free-port.js';
import { waitFor } from '../../deploy/local/system/wait-for.js';
import { assertStoredExactlyOnce } from '../support/exactly-once.js';
import { createTestDatabase, serverUrl, type TestDatabase } from '../support/test-database.js';
import { brokers, TestTopics } from '../support/test-topics.js';
import { todoEvents } from '../support/todo-event-stream.js';

interface Role {
  name: string;
  url: string;
  password: string;
}

/** The statements of "Database roles" in docs/kubernetes.md, for roles `consumer` and `reader`. */
function readmeGrants(consumer: string, reader: string): string[] {
  return [
    `GRANT INSERT, SELECT ON todo_event_logs TO ${consumer}`,
    `GRANT USAGE ON SEQUENCE todo_event_logs_id_seq TO ${consumer}`,
    `GRANT SELECT, INSERT, UPDATE ON todo_event_log_offsets TO ${consumer}`,
    `GRANT SELECT ON kysely_migration, todo_history_migration_level TO ${consumer}`,
    `GRANT SELECT ON todo_event_logs, todo_group_activity_daily, todo_group_activity_hourly TO ${reader}`,
  ];
}

function fatalLines(output: string): string[] {
  return output.split('\n').filter((line) => line.includes('"level":"fatal"'));
}

describe('least privilege: migrations as the owner, the consumer and `logs` with only their grants', () => {
  const suffix = randomBytes(4).toString('hex');
  let database: TestDatabase;
  let topics: TestTopics;
  let owner: Role;
  let consumer: Role;
  let reader: Role;

  async function createRole(name: string): Promise<Role> {
    const password = randomBytes(12).toString('hex');
    await sql.raw(`CREATE ROLE ${name} LOGIN PASSWORD '${password}'`).execute(database.db);
    const url = new URL(database.url);
    url.username = name;
    url.password = password;
    return { name, url: url.toString(), password };
  }

  async function asOwner(statements: string[]): Promise<void> {
    await sql.raw(`SET ROLE ${owner.name}; ${statements.join('; ')}; RESET ROLE`).execute(database.db);
  }

  /** `consume` as `role`, which must exit by itself: a consumer that keeps retrying is stopped after 30 s. */
  async function consumeUntilExit(role: Role): Promise<{ code: number | null; output: string }> {
    const cli = startCli(['consume'], { ...topics.consumerEnv(), DATABASE_URL: role.url, HTTP_PORT: String(await findFreePort()) });
    const stopper = setTimeout(() => cli.child.kill('SIGKILL'), 30_000);
    const code = await cli.exited;
    clearTimeout(stopper);
    return { code, output: cli.output() };
  }

  before(async () => {
    database = await createTestDatabase({ migrated: false });
    topics = new TestTopics();
    await topics.create(3);
    owner = await createRole(`todo_owner_${suffix}`);
    consumer = await createRole(`todo_consumer_${suffix}`);
    reader = await createRole(`todo_reader_${suffix}`);
    const databaseName = new URL(database.url).pathname.slice(1);
    await sql.raw(`ALTER DATABASE ${databaseName} OWNER TO ${owner.name}`).execute(database.db);
  });

  after(async () => {
    await topics.close();
    await database.drop();
    const server = new pg.Client({ connectionString: serverUrl() });
    await server.connect();
    try {
      await server.query(`DROP ROLE IF EXISTS ${owner.name}, ${consumer.name}, ${reader.name}`);
    } finally {
      await server.end();
    }
  });

  it('migrates as the owner role, which then owns the table', async () => {
    const { code, output } = await runCli(['migrate', 'latest'], { DATABASE_URL: owner.url, KAFKA_BROKERS: brokers().join(',') });
    assert.equal(code, 0, output);
    const { rows } = await sql<{ tableowner: string }>`SELECT tableowner FROM pg_tables WHERE tablename = 'todo_event_logs'`.execute(database.db);
    assert.equal(rows[0]?.tableowner, owner.name);
  });

  it('refuses to consume as a role without grants, naming each missing privilege and the GRANT that adds it', async () => {
    const { code, output } = await consumeUntilExit(consumer);
    assert.equal(code, 1, output);
    const fatal = fatalLines(output);
    assert.equal(fatal.length, 1, output);
    const message = String((JSON.parse(fatal[0] ?? '{}') as { msg?: unknown }).msg);
    assert.equal(
      message,
      `cannot start: database role "${consumer.name}" lacks INSERT on table todo_event_logs, SELECT on table todo_event_logs, ` +
        'USAGE on sequence public.todo_event_logs_id_seq, SELECT on table todo_event_log_offsets, INSERT on table todo_event_log_offsets, ' +
        'UPDATE on table todo_event_log_offsets, SELECT on table kysely_migration, SELECT on table todo_history_migration_level; ' +
        `as the schema's owner run: GRANT INSERT ON todo_event_logs TO ${consumer.name}; GRANT SELECT ON todo_event_logs TO ${consumer.name}; ` +
        `GRANT USAGE ON SEQUENCE public.todo_event_logs_id_seq TO ${consumer.name}; GRANT SELECT ON todo_event_log_offsets TO ${consumer.name}; ` +
        `GRANT INSERT ON todo_event_log_offsets TO ${consumer.name}; GRANT UPDATE ON todo_event_log_offsets TO ${consumer.name}; ` +
        `GRANT SELECT ON kysely_migration TO ${consumer.name}; ` +
        `GRANT SELECT ON todo_history_migration_level TO ${consumer.name}; (README, "Database roles")`,
    );
    assert.doesNotMatch(output, /\n\s+at /, 'no stack trace');
    assert.ok(!output.includes(consumer.password), 'the password never reaches the log');
  });

  it('stores every event exactly once as a role with only the grants of docs/kubernetes.md (Database roles), and `logs` reads as a role that may only SELECT', async () => {
    await asOwner(readmeGrants(consumer.name, reader.name));
    await topics.produce(todoEvents(0, 600));
    const running = startCli(['consume'], { ...topics.consumerEnv(), DATABASE_URL: consumer.url, HTTP_PORT: String(await findFreePort()) });
    try {
      await waitFor('every event to be stored', () => database.rowCount(), (rows) => rows === 600, { timeoutMs: 60_000, intervalMs: 500 });
      await waitFor('offsets to be committed to the end', () => topics.committedOffsets(), (c) => [...c.values()].reduce((s, o) => s + Number(o), 0) === 600, { timeoutMs: 30_000 });
      assert.equal(await assertStoredExactlyOnce(database, topics), 600);
    } finally {
      running.child.kill('SIGTERM');
    }
    assert.equal(await running.exited, 0, running.output());
    assert.deepEqual(fatalLines(running.output()), []);

    const logs = await runCli(['logs', 'groups'], { DATABASE_URL: reader.url, KAFKA_BROKERS: brokers().join(',') });
    assert.equal(logs.code, 0, logs.output);
    const asSuperuser: unknown = JSON.parse(JSON.stringify(await getGroupsSummary(database.db)));
    assert.ok(Array.isArray(asSuperuser) && asSuperuser.length > 0);
    assert.deepEqual(JSON.parse(logs.output), asSuperuser);
  });

  it('names the one privilege missing when a single grant is revoked', async () => {
    await asOwner([`REVOKE USAGE ON SEQUENCE todo_event_logs_id_seq FROM ${consumer.name}`]);
    const { code, output } = await consumeUntilExit(consumer);
    assert.equal(code, 1, output);
    assert.match(
      fatalLines(output)[0] ?? '',
      new RegExp(`lacks USAGE on sequence public\\.todo_event_logs_id_seq; as the schema's owner run: GRANT USAGE ON SEQUENCE public\\.todo_event_logs_id_seq TO ${consumer.name};`),
    );
  });

  it('refuses to consume as the read-only role, and `logs` as a role without SELECT on the table or a summary', async () => {
    const consume = await consumeUntilExit(reader);
    assert.equal(consume.code, 1, consume.output);
    assert.match(fatalLines(consume.output)[0] ?? '', new RegExp(`database role \\\\"${reader.name}\\\\" lacks INSERT on table todo_event_logs, USAGE on sequence`));

    await asOwner([`REVOKE SELECT ON todo_event_logs, todo_group_activity_daily, todo_group_activity_hourly FROM ${reader.name}`]);
    const logs = await runCli(['logs', 'groups'], { DATABASE_URL: reader.url, KAFKA_BROKERS: brokers().join(',') });
    assert.equal(logs.code, 1, logs.output);
    assert.match(
      logs.output,
      new RegExp(
        `lacks SELECT on table todo_event_logs, SELECT on table todo_group_activity_daily, SELECT on table todo_group_activity_hourly; ` +
          `as the schema's owner run: GRANT SELECT ON todo_event_logs TO ${reader.name}; GRANT SELECT ON todo_group_activity_daily TO ${reader.name}; ` +
          `GRANT SELECT ON todo_group_activity_hourly TO ${reader.name};`,
      ),
    );
    assert.ok(!logs.output.includes(reader.password));
  });
});
