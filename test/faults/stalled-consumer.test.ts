import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { startCli, type CliProcess } from '../../deploy/local/cli-process.js';
import { assertStoredExactlyOnce } from '../support/exactly-once.js';
import { getProbe } from '../support/probes.js';
import { findFreePort } from '../../deploy/local/system/free-port.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { TestTopics } from '../support/test-topics.js';
import { todoEvents } from '../support/todo-event-stream.js';
import { waitFor } from '../../deploy/local/system/wait-for.js';

describe('a consumer that stops making progress while it has work (the zombie case)', () => {
  let database: TestDatabase;
  let topics: TestTopics;
  let consumer: CliProcess;
  let port: number;

  before(async () => {
    database = await createTestDatabase();
    topics = new TestTopics();
    await topics.create(1);
    port = await findFreePort();
    consumer = startCli(['consume'], {
      ...topics.consumerEnv(),
      DATABASE_URL: database.url,
      // Nothing times out: the write simply hangs, as on a wedged connection.
      DATABASE_STATEMENT_TIMEOUT_MS: '3600000',
      LIVENESS_STALL_TIMEOUT_MS: '3000',
      LAG_POLL_INTERVAL_MS: '500',
      HTTP_PORT: String(port),
    });
  });

  after(async () => {
    consumer.child.kill('SIGKILL');
    await topics.close();
    await database.drop();
  });

  it('fails /livez while its write hangs with events waiting, and recovers once the write goes through', async () => {
    await topics.produce(todoEvents(0, 50));
    await waitFor('the first events to be stored', () => database.rowCount(), (n) => n === 50);
    assert.equal((await getProbe(port, '/livez')).status, 200);

    // A real lock holds every insert: the consumer reads, but cannot store or commit.
    const blocker = new pg.Client({ connectionString: database.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE todo_event_logs IN ACCESS EXCLUSIVE MODE');
    await topics.produce(todoEvents(50, 50));
    const stalled = await waitFor('/livez to report the stall', () => getProbe(port, '/livez'), (p) => p.status === 503, { timeoutMs: 30_000 });
    assert.match(stalled.body, /no batch stored for \d+ s while partitions have unread events/);

    await blocker.query('ROLLBACK');
    await blocker.end();
    await waitFor('every event to be stored', () => database.rowCount(), (n) => n === 100);
    await waitFor('/livez to recover', () => getProbe(port, '/livez'), (p) => p.status === 200);
    assert.equal(await assertStoredExactlyOnce(database, topics), 100);
  });
});
