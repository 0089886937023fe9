import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startCli, type CliProcess } from '../../deploy/local/cli-process.js';
import { findFreePort } from '../../deploy/local/system/free-port.js';
import { waitFor } from '../../deploy/local/system/wait-for.js';
import { assertStoredExactlyOnce } from '../support/exactly-once.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { TestTopics } from '../support/test-topics.js';
import { todoEvents } from '../support/todo-event-stream.js';

const sessionTimeoutMs = 6_000;

async function storedOffset(database: TestDatabase, topic: string): Promise<string | undefined> {
  const row = await database.db.selectFrom('todo_event_log_offsets').select('next_offset').where('kafka_topic', '=', topic).where('kafka_partition', '=', 0).executeTakeFirst();
  return row?.next_offset;
}

/**
 * A consumer frozen in the middle of a batch (its database traffic held by a proxy) loses its partition
 * to a second consumer, which stores on. When the first one's transaction finally reaches PostgreSQL,
 * after the new owner's commit, the stored offset has moved on: it stores nothing.
 */
describe('a revoked partition\'s old owner committing after the new owner did', () => {
  let database: TestDatabase;
  let topics: TestTopics;
  let proxy: TcpProxy;
  let zombie: CliProcess;
  let successor: CliProcess | undefined;

  function consumerEnv(databaseUrl: string, httpPort: number): Record<string, string> {
    return {
      ...topics.consumerEnv(),
      KAFKA_SESSION_TIMEOUT_MS: String(sessionTimeoutMs),
      KAFKA_HEARTBEAT_INTERVAL_MS: '1000',
      DATABASE_URL: databaseUrl,
      // A connection opened while the traffic is held must wait for it too, not fail and let the member heartbeat.
      DATABASE_CONNECT_TIMEOUT_MS: '120000',
      HTTP_PORT: String(httpPort),
    };
  }

  before(async () => {
    database = await createTestDatabase();
    topics = new TestTopics();
    await topics.create(1);
    const url = new URL(database.url);
    proxy = await TcpProxy.start(Number(url.port));
    url.port = String(proxy.port);
    zombie = startCli(['consume'], consumerEnv(url.toString(), await findFreePort()));
  });

  after(async () => {
    zombie.child.kill('SIGKILL');
    successor?.child.kill('SIGKILL');
    await proxy.close();
    await topics.close();
    await database.drop();
  });

  it('is fenced by the stored offset: nothing is stored twice and nothing is lost', async () => {
    await topics.produce(todoEvents(0, 100));
    await waitFor('the first consumer to store the first events', () => storedOffset(database, topics.topic), (offset) => offset === '100');

    proxy.hold();
    await topics.produce(todoEvents(100, 100));
    await waitFor('the first consumer\'s next transaction to be held', async () => proxy.heldBytes(), (bytes) => bytes > 0);
    const successorPort = await findFreePort();
    successor = startCli(['consume'], consumerEnv(database.url, successorPort));
    const newOwner = successor;
    await waitFor('the second consumer to take the partition over and store the batch', () => storedOffset(database, topics.topic), (offset) => offset === '200', { timeoutMs: 90_000 });
    assert.ok(
      newOwner.logLines().some((line) => line.msg === 'partitions start at their stored offsets, or where the log starts or ends' && JSON.stringify(line.partitions) === JSON.stringify([{ partition: 0, offset: '100' }])),
      'the new owner started at the offset the old owner stored',
    );

    proxy.release();
    const fenced = await waitFor(
      'the old owner to find its partition stored on',
      async () => zombie.logLines().filter((line) => line.expectedOffset === '100' && typeof line.msg === 'string' && line.msg.includes('no longer continues from offset 100')),
      (lines) => lines.length > 0,
      { timeoutMs: 60_000 },
    );
    assert.equal(fenced[0]?.level, 'warn', 'a warning, not an error');
    const zombieBatches = zombie.logLines().filter((line) => line.msg === 'batch stored');
    assert.deepEqual(zombieBatches.map((line) => line.firstOffset), ['0'], 'the old owner stored only its first batch');

    await topics.produce(todoEvents(200, 100));
    await waitFor('every event to be stored', () => storedOffset(database, topics.topic), (offset) => offset === '300', { timeoutMs: 60_000 });
    assert.equal(await assertStoredExactlyOnce(database, topics), 300);
  });
});
