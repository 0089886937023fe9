import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PartitionAssigners, type Consumer } from 'kafkajs';
import { startCli, type CliProcess } from '../../deploy/local/cli-process.js';
import { findFreePort } from '../../deploy/local/system/free-port.js';
import { waitFor } from '../../deploy/local/system/wait-for.js';
import { stickyAssignerName } from '../../src/kafka/sticky-assigner.js';
import { assertStoredExactlyOnce } from '../support/exactly-once.js';
import { getProbe } from '../support/probes.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { TestTopics } from '../support/test-topics.js';
import { todoEvents } from '../support/todo-event-stream.js';

interface Join {
  partitions: number[];
  assigner: string;
}

const joins = (cli: CliProcess): Join[] =>
  cli.logLines().filter((line) => line.msg === 'joined consumer group').map((line) => ({ partitions: line.partitions as number[], assigner: line.assigner as string }));

/** The partitions each `partitions start at their stored offsets…` line sought: a kept partition needs none. */
const starts = (cli: CliProcess): number[][] =>
  cli
    .logLines()
    .filter((line) => typeof line.msg === 'string' && line.msg.startsWith('partitions start at their stored offsets'))
    .map((line) => (line.partitions as { partition: number }[]).map(({ partition }) => partition).sort((a, b) => a - b));

describe('rebalances of a group of consumers', () => {
  let database: TestDatabase;
  let topics: TestTopics;
  const running: CliProcess[] = [];
  let produced = 0;

  async function consume(): Promise<CliProcess & { port: number }> {
    const port = await findFreePort();
    const cli = startCli(['consume'], { ...topics.consumerEnv(), DATABASE_URL: database.url, KAFKA_HEARTBEAT_INTERVAL_MS: '500', HTTP_PORT: String(port) });
    running.push(cli);
    return { ...cli, port };
  }

  /** Asks /readyz every 50 ms until the returned function is called, which resolves with every answer that was not 200. */
  function watchReadiness(port: number): () => Promise<string[]> {
    const unready: string[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const probe = await getProbe(port, '/readyz');
        if (probe.status !== 200) unready.push(`${probe.status} ${probe.body.trim()}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    return async () => {
      watching = false;
      await watcher;
      return unready;
    };
  }

  async function produceAndStore(count: number): Promise<void> {
    await topics.produce(todoEvents(produced, count));
    produced += count;
    await waitFor('every event to be stored', () => database.rowCount(), (rows) => rows === produced, { timeoutMs: 60_000 });
  }

  before(async () => {
    database = await createTestDatabase();
    topics = new TestTopics();
    await topics.create(6);
  });

  after(async () => {
    for (const cli of running) cli.child.kill('SIGKILL');
    await topics.close();
    await database.drop();
  });

  it('keeps a member\'s partitions through a join and a leave, continues them without a seek, stays ready, and stores everything once', async () => {
    const first = await consume();
    await waitFor('the first member to own every partition', async () => joins(first).at(-1), (join) => join?.partitions.length === 6, { timeoutMs: 60_000 });
    await produceAndStore(600);
    await waitFor('the first member to be ready', () => getProbe(first.port, '/readyz'), (probe) => probe.status === 200);
    const readiness = watchReadiness(first.port);

    const second = await consume();
    await waitFor('the second member to join', async () => joins(second).at(-1), (join) => join !== undefined && join.partitions.length === 3, { timeoutMs: 60_000 });
    const kept = joins(first).at(-1);
    assert.equal(kept?.assigner, stickyAssignerName);
    assert.equal(kept?.partitions.length, 3);
    const moved = [...(joins(second).at(-1)?.partitions ?? [])].sort((a, b) => a - b);
    assert.deepEqual(starts(first), [], 'the partitions the first member kept continue as they were (its first start found no stored offset)');
    assert.deepEqual(await waitFor('the second member to start its partitions', async () => starts(second), (lines) => lines.length > 0), [moved], 'the partitions that moved start at their stored offsets');
    await produceAndStore(600);

    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0, second.output());
    await waitFor('the first member to own every partition again', async () => joins(first).at(-1), (join) => join?.partitions.length === 6, { timeoutMs: 60_000 });
    assert.deepEqual(await waitFor('the first member to start what it took back', async () => starts(first), (lines) => lines.length > 0), [moved], 'only the partitions it took back start anew');
    assert.deepEqual(await readiness(), [], 'the first member stays ready through both rebalances');
    await produceAndStore(600);
    assert.equal(await assertStoredExactlyOnce(database, topics), produced);
  });

  it('uses round robin while a member of an older build (kafkajs\' RoundRobinAssigner only) is in the group', async () => {
    const member = running[0];
    assert.ok(member);
    const older: Consumer = topics.kafka.consumer({ groupId: topics.groupId, partitionAssigners: [PartitionAssigners.roundRobin], heartbeatInterval: 500 });
    await older.connect();
    await older.subscribe({ topics: [topics.topic] });
    // It stores nothing: the partitions it gets wait for it to leave.
    await older.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async () => undefined });
    try {
      await waitFor('the group to agree on round robin', async () => joins(member).at(-1), (join) => join?.assigner === 'RoundRobinAssigner', { timeoutMs: 60_000 });
    } finally {
      await older.disconnect();
    }
    await waitFor('the group to go back to the sticky assigner', async () => joins(member).at(-1), (join) => join?.assigner === stickyAssignerName && join.partitions.length === 6, { timeoutMs: 60_000 });
    await produceAndStore(600);
    assert.equal(await assertStoredExactlyOnce(database, topics), produced);
  });
});
