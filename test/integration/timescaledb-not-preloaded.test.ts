import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { runCli } from '../../deploy/local/cli-process.js';
import { timescaledbSourcePath } from '../../deploy/local/services/timescaledb-build.js';
import { isHypertable } from '../../src/db/migrate.js';
import { schemaStanding } from '../../src/db/schema-version.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { startPostgresWithUnloadableTimescaledb, type UnloadableTimescaledbServer } from '../support/unloadable-timescaledb.js';

function logLines(output: string): Record<string, unknown>[] {
  return output.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
}

function assertNoStack(output: string): void {
  assert.ok(!/^\s+at /m.test(output) && !output.includes('\\n    at '), `a stack trace was printed:\n${output}`);
}

async function extensionCreated(database: TestDatabase): Promise<boolean> {
  const { rows } = await sql<{ found: boolean }>`SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') AS found`.execute(database.db);
  return rows[0]?.found === true;
}

const server = existsSync(timescaledbSourcePath()) ? 'real TimescaleDB' : 'a stand-in, not the real TimescaleDB server';

describe(`TimescaleDB installed but not preloaded (CREATE EXTENSION ends the session with a FATAL), on ${server}`, () => {
  let postgres: UnloadableTimescaledbServer;
  const escaped = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const databases: TestDatabase[] = [];
  const emptyDatabase = async (): Promise<TestDatabase> => {
    const database = await createTestDatabase({ server: postgres.server.url, migrated: false });
    databases.push(database);
    return database;
  };

  before(async () => {
    postgres = await startPostgresWithUnloadableTimescaledb();
  });

  after(async () => {
    for (const database of databases) await database.drop();
    await postgres.destroy();
  });

  it('is what the server offers: listed in pg_available_extensions, and CREATE EXTENSION kills the session', async () => {
    const database = await emptyDatabase();
    const { rows } = await sql<{ name: string }>`SELECT name FROM pg_available_extensions WHERE name = 'timescaledb'`.execute(database.db);
    assert.deepEqual(rows, [{ name: 'timescaledb' }]);
    await assert.rejects(sql`CREATE EXTENSION timescaledb`.execute(database.db), (error: { severity?: string }) => error.severity === 'FATAL');
  });

  it('auto: migrate says in one line why the table stays plain, and succeeds', async () => {
    const database = await emptyDatabase();
    const { code, output } = await runCli(['migrate', 'latest'], { DATABASE_URL: database.url });
    assert.equal(code, 0, output);
    const why = logLines(output).filter((line) => String(line.msg).includes('CREATE EXTENSION fails'));
    assert.equal(why.length, 1, output);
    assert.equal(why[0]?.level, 'warn');
    assert.match(String(why[0]?.msg), new RegExp(`^timescaledb is installed on the server but CREATE EXTENSION fails: ${escaped(postgres.failure)}[\\s\\S]*: todo_event_logs stays a plain table$`));
    assert.match(output, /schema migrated; todo_event_logs is a plain table/);
    assertNoStack(output);
    assert.equal((await schemaStanding(database.db)).compatible, true);
    assert.equal(await isHypertable(database.db), false);
    assert.equal(await extensionCreated(database), false);
    assert.equal(await database.rowCount(), 0, 'the table exists');
  });

  it('required: migrate fails with that line, exit 1, no stack, and changes nothing', async () => {
    const database = await emptyDatabase();
    const { code, output } = await runCli(['migrate', 'latest'], { DATABASE_URL: database.url, DATABASE_TIMESCALEDB: 'required' });
    assert.equal(code, 1, output);
    const errors = logLines(output).filter((line) => line.level === 'error' || line.level === 'fatal');
    assert.equal(errors.length, 1, output);
    assert.match(String(errors[0]?.msg), new RegExp(`^DATABASE_TIMESCALEDB is required but timescaledb is installed on the server but CREATE EXTENSION fails: ${escaped(postgres.failure)}`));
    assertNoStack(output);
    assert.equal((await schemaStanding(database.db)).schemaLevel, 0, 'no migration ran');
  });

  it('off: migrate never tries the extension', async () => {
    const database = await emptyDatabase();
    const { code, output } = await runCli(['migrate', 'latest'], { DATABASE_URL: database.url, DATABASE_TIMESCALEDB: 'off' });
    assert.equal(code, 0, output);
    assert.ok(!output.includes('CREATE EXTENSION'), output);
    assert.match(output, /schema migrated; todo_event_logs is a plain table/);
    assert.equal((await schemaStanding(database.db)).compatible, true);
  });

  it('migrations run by other code (the test helpers, the benchmark) leave the extension alone instead of dying', async () => {
    const database = await createTestDatabase({ server: postgres.server.url });
    databases.push(database);
    assert.equal((await schemaStanding(database.db)).compatible, true);
    assert.equal(await extensionCreated(database), false);
  });
});
