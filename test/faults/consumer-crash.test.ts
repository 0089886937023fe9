import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startCli, type CliProcess } from '../../deploy/local/cli-process.js';
import { assertStoredExactlyOnce } from '../support/exactly-once.js';
import { findFreePort } from '../../deploy/local/system/free-port.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { TestTopics } from '../support/test-topics.js';
import { todoEvents } from '../support/todo-event-stream.js';
import { waitFor } from '../../deploy/local/system/wait-for.js';

const kills = 5;

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('consumer killed with SIGKILL at random moments', () => {
  let database: TestDatabase;
  let topics: TestTopics;
  let consumer: CliProcess | undefined;
  let env: Record<string, string>;

  before(async () => {
    database = await createTestDatabase();
    topics = new TestTopics();
    await topics.create(3);
    env = {
      ...topics.consumerEnv(),
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      KAFKA_HEARTBEAT_INTERVAL_MS: '1000',
      DATABASE_URL: database.url,
      HTTP_PORT: String(await findFreePort()),
    };
  });

  after(async () => {
    consumer?.child.kill('SIGKILL');
    await topics.close();
    await database.drop();
  });

  it('loses no event and stores none twice', async () => {
    let produced = 0;
    let producing = true;
    // Events flow all along, so each kill lands at a random point of some batch's life.
    const producer = (async () => {
      while (producing) {
        await topics.produce(todoEvents(produced, 50));
        produced += 50;
        await pause(100);
      }
    })();
    for (let kill = 0; kill < kills; kill += 1) {
      consumer = startCli(['consume'], env);
      const running = consumer;
      await waitFor(`run ${kill + 1} to join its group`, async () => running.logLines().some((l) => l.msg === 'joined consumer group'), Boolean, { timeoutMs: 60_000, intervalMs: 50 });
      await pause(500 + Math.floor(Math.random() * 2_000));
      running.child.kill('SIGKILL');
      assert.equal(await running.exited, null, 'killed by the signal');
    }
    producing = false;
    await producer;
    assert.ok(produced >= 1_000, `${produced} events produced`);
    consumer = startCli(['consume'], env);
    await waitFor('every event to be stored', () => database.rowCount(), (n) => n === produced, { timeoutMs: 120_000 });
    await waitFor('offsets to be committed to the end', () => topics.committedOffsets(), (c) => [...c.values()].reduce((s, o) => s + Number(o), 0) === produced, { timeoutMs: 60_000 });
    assert.equal(await assertStoredExactlyOnce(database, topics), produced);
  });
});
