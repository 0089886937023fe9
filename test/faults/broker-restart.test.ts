import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startCli, type CliProcess } from '../../deploy/local/cli-process.js';
import { assertStoredExactlyOnce } from '../support/exactly-once.js';
import { getProbe, metricValue } from '../support/probes.js';
import { findFreePort } from '../../deploy/local/system/free-port.js';
import { startKafkaBroker, type KafkaBrokerHandle } from '../../deploy/local/services/kafka-broker.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { TestTopics } from '../support/test-topics.js';
import { todoEvents } from '../support/todo-event-stream.js';
import { waitFor } from '../../deploy/local/system/wait-for.js';

describe('Kafka broker restarted mid-stream', () => {
  let broker: KafkaBrokerHandle;
  let database: TestDatabase;
  let topics: TestTopics;
  let consumer: CliProcess;
  let port: number;

  before(async () => {
    broker = await startKafkaBroker();
    database = await createTestDatabase();
    topics = new TestTopics([broker.brokers]);
    await topics.create(3);
    port = await findFreePort();
    consumer = startCli(['consume'], {
      ...topics.consumerEnv(),
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      KAFKA_HEARTBEAT_INTERVAL_MS: '1000',
      DATABASE_URL: database.url,
      LAG_POLL_INTERVAL_MS: '1000',
      READINESS_REBALANCE_GRACE_MS: '6000',
      HTTP_PORT: String(port),
    });
  });

  after(async () => {
    consumer.child.kill('SIGKILL');
    await database.drop();
    await broker.destroy();
  });

  it('stores every event exactly once across the restart and rejoins its group', async () => {
    await topics.produce(todoEvents(0, 400));
    await waitFor('some events to be stored', () => database.rowCount(), (n) => n > 0);

    await broker.stop();
    await waitFor('/readyz to notice the lost group', () => getProbe(port, '/readyz'), (p) => p.status === 503, { timeoutMs: 60_000 });
    await broker.start();

    await topics.produce(todoEvents(400, 400));
    await waitFor('every event to be stored', () => database.rowCount(), (n) => n === 800, { timeoutMs: 120_000 });
    await waitFor('offsets to be committed to the end', () => topics.committedOffsets(), (c) => [...c.values()].reduce((s, o) => s + Number(o), 0) === 800, { timeoutMs: 60_000 });
    assert.equal(await assertStoredExactlyOnce(database, topics), 800);
    await waitFor('/readyz to recover', () => getProbe(port, '/readyz'), (p) => p.status === 200, { timeoutMs: 60_000 });
    assert.equal((await getProbe(port, '/livez')).status, 200);
    const metrics = (await getProbe(port, '/metrics')).body;
    assert.equal(metricValue(metrics, 'todo_history_rows_inserted_total') + metricValue(metrics, 'todo_history_duplicates_skipped_total'), metricValue(metrics, 'todo_history_messages_consumed_total'));
    assert.equal(metricValue(metrics, 'todo_history_rows_inserted_total'), 800);
    await topics.close();
  });
});
