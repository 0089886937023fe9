import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startCli, type CliProcess } from '../../deploy/local/cli-process.js';
import { assertStoredExactlyOnce } from '../support/exactly-once.js';
import { getProbe, metricValue } from '../support/probes.js';
import { findFreePort } from '../../deploy/local/system/free-port.js';
import { startPostgresServer, type PostgresServerHandle } from '../../deploy/local/services/postgres-server.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { TestTopics } from '../support/test-topics.js';
import { todoEvents } from '../support/todo-event-stream.js';
import { waitFor } from '../../deploy/local/system/wait-for.js';

const sessionTimeoutMs = 6_000;

describe('PostgreSQL down for longer than the session timeout', () => {
  let postgres: PostgresServerHandle;
  let database: TestDatabase;
  let topics: TestTopics;
  let consumer: CliProcess;
  let port: number;

  before(async () => {
    postgres = await startPostgresServer();
    database = await createTestDatabase({ server: postgres.url });
    topics = new TestTopics();
    await topics.create(3);
    port = await findFreePort();
    consumer = startCli(['consume'], {
      ...topics.consumerEnv(),
      KAFKA_SESSION_TIMEOUT_MS: String(sessionTimeoutMs),
      KAFKA_HEARTBEAT_INTERVAL_MS: '1000',
      DATABASE_URL: database.url,
      RETRY_INITIAL_DELAY_MS: '250',
      RETRY_MAX_DELAY_MS: '2000',
      LAG_POLL_INTERVAL_MS: '1000',
      HTTP_PORT: String(port),
    });
  });

  after(async () => {
    consumer.child.kill('SIGKILL');
    await topics.close();
    await postgres.destroy();
  });

  it('stores everything exactly once after the database comes back, without leaving the group', async () => {
    await topics.produce(todoEvents(0, 300));
    await waitFor('the first events to be stored', () => database.rowCount(), (n) => n === 300);
    assert.equal((await getProbe(port, '/readyz')).status, 200);

    await postgres.stop();
    const outageStarted = Date.now();
    await waitFor('/readyz to report the database', () => getProbe(port, '/readyz'), (p) => p.status === 503 && p.body.includes('database'));
    for (let i = 0; i < 5; i += 1) {
      await topics.produce(todoEvents(300 + i * 100, 100));
      await new Promise((resolve) => setTimeout(resolve, 600));
    }
    await waitFor('retries to be counted', () => getProbe(port, '/metrics'), (p) => metricValue(p.body, 'todo_history_store_retries_total') >= 3);
    const metricsDuringOutage = (await getProbe(port, '/metrics')).body;
    assert.ok(metricValue(metricsDuringOutage, 'todo_history_retry_backoff_seconds') > 0, 'the current backoff is exported');
    assert.equal((await getProbe(port, '/livez')).status, 200, 'a consumer waiting out an outage is alive');
    await waitFor('the outage to outlast the session timeout', async () => Date.now() - outageStarted, (ms) => ms > sessionTimeoutMs * 2, { timeoutMs: 60_000, intervalMs: 500 });

    await postgres.start();
    await waitFor('every event to be stored', () => database.rowCount(), (n) => n === 800, { timeoutMs: 90_000 });
    await waitFor('offsets to be committed to the end', () => topics.committedOffsets(), (c) => [...c.values()].reduce((s, o) => s + Number(o), 0) === 800);
    assert.equal(await assertStoredExactlyOnce(database, topics), 800);
    await waitFor('/readyz to recover', () => getProbe(port, '/readyz'), (p) => p.status === 200);

    const metrics = (await getProbe(port, '/metrics')).body;
    assert.equal(metricValue(metrics, 'todo_history_rows_inserted_total'), 800);
    assert.equal(metricValue(metrics, 'todo_history_retry_backoff_seconds'), 0);
    const joins = consumer.logLines().filter((line) => line.msg === 'joined consumer group');
    assert.equal(joins.length, 1, 'the consumer never left its group');
    assert.equal(consumer.child.exitCode, null);
  });
});
