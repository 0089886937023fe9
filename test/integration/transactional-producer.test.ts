import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Message, Producer } from 'kafkajs';
import { sql } from 'kysely';
import { startCli, type CliProcess } from '../../deploy/local/cli-process.js';
import { findFreePort } from '../../deploy/local/system/free-port.js';
import { waitFor } from '../../deploy/local/system/wait-for.js';
import { getProbe, metricValue } from '../support/probes.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { TestTopics } from '../support/test-topics.js';
import { todoEvents } from '../support/todo-event-stream.js';

describe('events from a transactional producer', () => {
  let database: TestDatabase;
  let topics: TestTopics;
  let producer: Producer;
  let consumer: CliProcess;
  let port: number;

  /**
   * Sends `messages` to `partition` in one transaction, then waits for its marker: the broker acknowledges
   * the commit or abort before the marker is written to the partition, and the tests read its end.
   */
  async function inTransaction(partition: number, messages: Message[], outcome: 'commit' | 'abort'): Promise<void> {
    const start = BigInt((await topics.endOffsets()).get(partition) ?? '0');
    const transaction = await producer.transaction();
    await transaction.send({ topic: topics.topic, messages: messages.map((message) => ({ ...message, partition })) });
    await (outcome === 'commit' ? transaction.commit() : transaction.abort());
    const withMarker = (start + BigInt(messages.length) + 1n).toString();
    await waitFor(`the ${outcome} marker on partition ${partition}`, async () => (await topics.endOffsets()).get(partition), (end) => end === withMarker, { timeoutMs: 10_000, intervalMs: 50 });
  }

  async function caughtUp(): Promise<void> {
    const ends = await topics.endOffsets();
    await waitFor(
      'committed offsets to reach the end of every partition, markers included',
      () => topics.committedOffsets(),
      (committed) => [...ends].every(([partition, end]) => committed.get(partition) === end),
    );
  }

  before(async () => {
    database = await createTestDatabase();
    topics = new TestTopics();
    await topics.create(2);
    producer = topics.kafka.producer({ transactionalId: `todo-app-${randomUUID()}`, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await inTransaction(0, todoEvents(0, 10), 'commit');
    await inTransaction(0, todoEvents(100, 5), 'abort');
    await inTransaction(0, todoEvents(10, 10), 'commit');
    await inTransaction(1, todoEvents(20, 3), 'commit');
    port = await findFreePort();
    consumer = startCli(['consume'], { ...topics.consumerEnv(), DATABASE_URL: database.url, HTTP_PORT: String(port), LAG_POLL_INTERVAL_MS: '500' });
  });

  after(async () => {
    consumer.child.kill('SIGKILL');
    await producer.disconnect();
    await topics.close();
    await database.drop();
  });

  it('stores the committed events only, and commits past the trailing transaction marker', async () => {
    await caughtUp();
    assert.equal(await database.rowCount(), 23);
    const { rows } = await sql<{ aborted: string }>`
      SELECT count(*) AS aborted FROM todo_event_logs WHERE changes ~ '#10[0-4] '`.execute(database.db);
    assert.equal(Number(rows[0]?.aborted), 0);
    const metrics = await waitFor('lag 0 on both partitions', async () => (await getProbe(port, '/metrics')).body, (body) =>
      [0, 1].every((partition) => metricValue(body, 'todo_history_consumer_lag', { partition: String(partition) }) === 0),
    );
    assert.equal(metricValue(metrics, 'todo_history_rows_inserted_total'), 23);
  });

  it('commits past a fetch that holds only an aborted transaction and its marker', async () => {
    await inTransaction(1, todoEvents(200, 4), 'abort');
    await caughtUp();
    assert.equal(await database.rowCount(), 23);
    assert.equal(consumer.child.exitCode, null);
  });
});
