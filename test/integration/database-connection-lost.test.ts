import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { pino } from 'pino';
import pg from 'pg';
import { waitFor } from '../../deploy/local/system/wait-for.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createDatabase } from '../../src/db/create-database.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/** A logger whose JSON lines the test can read. */
function capturingLogger(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'warn' }, sink), lines };
}

async function terminateBackend(url: string, pid: number): Promise<void> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
  } finally {
    await admin.end();
  }
}

describe('a database connection the server ends while it is checked out', () => {
  let database: TestDatabase;

  before(async () => {
    database = await createTestDatabase({ migrated: false });
  });

  after(() => database.drop());

  it('is logged, not fatal, and the next query gets a new connection', async () => {
    const { logger, lines } = capturingLogger();
    const db = createDatabase(loadConfig({ DATABASE_URL: database.url, DATABASE_POOL_SIZE: '1', KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY: '1' }).database, logger);
    try {
      const firstPid = await db.connection().execute(async (connection) => {
        const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(connection);
        const pid = rows[0]?.pid ?? 0;
        // Checked out and idle: the pool does not listen to it now, so only its own listener can.
        await terminateBackend(database.url, pid);
        await waitFor('the lost connection to be logged', async () => lines.filter((line) => line.msg === 'database connection lost'), (found) => found.length > 0, { timeoutMs: 10_000, intervalMs: 50 });
        return pid;
      });
      const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(db);
      assert.notEqual(rows[0]?.pid, firstPid, 'a new connection');
      const lost = lines.filter((line) => line.msg === 'database connection lost');
      assert.deepEqual(lost[0], { ...lost[0], level: 40, code: '57P01', reason: 'terminating connection due to administrator command' });
      assert.ok(lost.every((line) => !('err' in line)), 'one line each, without the client or a stack');
    } finally {
      await db.destroy();
    }
  });
});
