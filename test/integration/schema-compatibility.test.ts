import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { runCli, startCli, type CliProcess } from '../../deploy/local/cli-process.js';
import { findFreePort } from '../../deploy/local/system/free-port.js';
import { waitFor } from '../../deploy/local/system/wait-for.js';
import { migrate } from '../../src/db/migrate.js';
import { buildCompatibilityLevel, loadBuildMigrations, type CatalogedMigration } from '../../src/db/migration-catalog.js';
import { getProbe } from '../support/probes.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { TestTopics } from '../support/test-topics.js';

const additive = '2099-01-01T00-00-00_add-note-column';
const breaking = '2099-02-01T00-00-00_drop-changes-column';

/** A newer build: this build's migrations plus one more, of the given level. */
async function newerBuild(name: string, level: (buildLevel: number) => number, up: string, down: string): Promise<CatalogedMigration[]> {
  const build = await loadBuildMigrations();
  return [
    ...build,
    {
      name,
      compatibilityLevel: level(buildCompatibilityLevel(build)),
      up: async (db) => void (await sql.raw(up).execute(db)),
      down: async (db) => void (await sql.raw(down).execute(db)),
    },
  ];
}

describe('schema compatibility: one build against the migrations of a newer one', () => {
  let database: TestDatabase;
  let topics: TestTopics;
  let consumer: CliProcess;
  let port: number;
  const env = (): Record<string, string> => ({ ...topics.consumerEnv(), DATABASE_URL: database.url });

  /** /readyz answers 200 at every probe for a few seconds, and the process keeps running. */
  const staysReady = async (): Promise<void> => {
    for (let probe = 0; probe < 6; probe += 1) {
      const answer = await getProbe(port, '/readyz');
      assert.equal(answer.status, 200, answer.body);
      await sleep(500);
    }
    assert.equal(consumer.child.exitCode, null, consumer.output());
  };

  before(async () => {
    database = await createTestDatabase();
    topics = new TestTopics();
    await topics.create(1);
    port = await findFreePort();
    consumer = startCli(['consume'], { ...env(), HTTP_PORT: String(port), KAFKA_SESSION_TIMEOUT_MS: '6000', KAFKA_HEARTBEAT_INTERVAL_MS: '1000' });
    await waitFor('/readyz', () => getProbe(port, '/readyz').catch(() => ({ status: 0, body: '' })), (p) => p.status === 200, { timeoutMs: 60_000 });
  });

  after(async () => {
    consumer.child.kill('SIGKILL');
    await topics.close();
    await database.drop();
  });

  it('keeps running and ready after a newer build\'s additive migration, and after it is migrated back down', async () => {
    const newer = await newerBuild(additive, (level) => level, 'ALTER TABLE todo_event_logs ADD COLUMN note TEXT', 'ALTER TABLE todo_event_logs DROP COLUMN note');
    const up = await migrate(database.db, 'latest', newer);
    assert.equal(up.kind, 'ran');
    assert.deepEqual(up.kind === 'ran' ? up.result.results?.map((r) => [r.migrationName, r.status]) : [], [[additive, 'Success']]);
    await staysReady();

    const restartPort = await findFreePort();
    const restarted = startCli(['consume'], { ...env(), HTTP_PORT: String(restartPort) });
    try {
      await waitFor('a restarted consumer of this build to be ready', () => getProbe(restartPort, '/readyz').catch(() => ({ status: 0, body: '' })), (p) => p.status === 200, { timeoutMs: 60_000 });
    } finally {
      restarted.child.kill('SIGKILL');
    }
    const check = await runCli(['migrate', 'check'], env());
    assert.equal(check.code, 0, check.output);

    const down = await migrate(database.db, 'down', newer);
    assert.equal(down.kind === 'ran' ? down.result.error : 'not run', undefined);
    await staysReady();
  });

  it('answers `migrate latest` on a database a newer build migrated with one info line and exit 0 (a GitOps revert of the image)', async () => {
    const newer = await newerBuild(additive, (level) => level, 'ALTER TABLE todo_event_logs ADD COLUMN note TEXT', 'ALTER TABLE todo_event_logs DROP COLUMN note');
    assert.equal((await migrate(database.db, 'latest', newer)).kind, 'ran');
    const cli = startCli(['migrate', 'latest'], env());
    assert.equal(await cli.exited, 0, cli.output());
    // Besides the TimescaleDB verdict that every migrate run gives, one line.
    const lines = cli.logLines().filter((line) => line['timescaledb'] === undefined);
    assert.equal(lines.length, 1, cli.output());
    assert.equal(lines[0]?.['level'], 'info');
    assert.match(String(lines[0]?.['msg']), new RegExp(`schema is ahead of this build \\(${additive}\\) .*nothing to migrate`));
    assert.doesNotMatch(cli.output(), /previously executed migration/);

    const down = await runCli(['migrate', 'down'], env());
    assert.equal(down.code, 1);
    assert.match(down.output, new RegExp(`the last migrations \\(${additive}\\) are not in this build`));
    assert.equal((await migrate(database.db, 'down', newer)).kind, 'ran');
  });

  it('turns not ready, saying why, once a breaking migration runs; refuses to start or migrate on it; ready again once it is undone', async () => {
    const newer = await newerBuild(breaking, (level) => level + 1, 'ALTER TABLE todo_event_logs RENAME COLUMN changes TO change_text', 'ALTER TABLE todo_event_logs RENAME COLUMN change_text TO changes');
    assert.equal((await migrate(database.db, 'latest', newer)).kind, 'ran');
    const reason = new RegExp(`schema is at compatibility level 2 \\(${breaking}\\) but this build runs at level 1`);
    const unready = await waitFor('/readyz to fail', () => getProbe(port, '/readyz'), (p) => p.status === 503);
    assert.match(unready.body, reason);

    const start = await runCli(['consume'], env());
    assert.equal(start.code, 1);
    assert.match(start.output, reason);
    const latest = await runCli(['migrate', 'latest'], env());
    assert.equal(latest.code, 1);
    assert.match(latest.output, reason);

    assert.equal((await migrate(database.db, 'down', newer)).kind, 'ran');
    await waitFor('/readyz to recover', () => getProbe(port, '/readyz'), (p) => p.status === 200);
  });
});
