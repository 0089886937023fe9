import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startCli } from '../../deploy/local/cli-process.js';
import { findFreePort } from '../../deploy/local/system/free-port.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { TestTopics } from '../support/test-topics.js';
import { todoEvents } from '../support/todo-event-stream.js';
import { waitFor } from '../../deploy/local/system/wait-for.js';

const graceMs = 10_000;

describe('SIGTERM under load', () => {
  let database: TestDatabase;
  let topics: TestTopics;

  before(async () => {
    database = await createTestDatabase();
    topics = new TestTopics();
    await topics.create(3);
    await topics.produce(todoEvents(0, 20_000));
  });

  after(async () => {
    await topics.close();
    await database.drop();
  });

  it('exits 0 within the grace period, with committed offsets matching the stored rows exactly', async () => {
    const consumer = startCli(['consume'], {
      ...topics.consumerEnv(),
      KAFKA_MAX_BYTES_PER_PARTITION: '65536',
      DATABASE_URL: database.url,
      SHUTDOWN_GRACE_MS: String(graceMs),
      HTTP_PORT: String(await findFreePort()),
    });
    await waitFor('the consumer to be busy', () => database.rowCount(), (n) => n > 1_000, { timeoutMs: 60_000, intervalMs: 50 });
    const signalled = Date.now();
    consumer.child.kill('SIGTERM');
    const code = await consumer.exited;
    const tookMs = Date.now() - signalled;
    assert.equal(code, 0, consumer.output().slice(-2_000));
    assert.ok(tookMs < graceMs, `stopped in ${tookMs} ms`);

    const stored = await database.rowCount();
    assert.ok(stored < 20_000, 'the signal arrived mid-stream');
    const committed = await topics.committedOffsets();
    const rows = await database.db
      .selectFrom('todo_event_logs')
      .select((eb) => ['kafka_partition', eb.fn.countAll<string>().as('rows')])
      .groupBy('kafka_partition')
      .execute();
    for (const [partition, offset] of committed) {
      const storedInPartition = Number(rows.find((r) => r.kafka_partition === partition)?.rows ?? 0);
      assert.equal(storedInPartition, Math.max(0, Number(offset)), `partition ${partition}: committed offset ${offset}\n${consumer.output().slice(-3_000)}`);
    }
    assert.ok(consumer.logLines().some((l) => l.msg === 'consumer stopped'));
  });
});
