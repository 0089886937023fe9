import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Admin } from 'kafkajs';
import { runCli, startCli, type CliProcess } from '../../deploy/local/cli-process.js';
import { startKafkaBroker, type KafkaBrokerHandle } from '../../deploy/local/services/kafka-broker.js';
import { findFreePort } from '../../deploy/local/system/free-port.js';
import { waitFor } from '../../deploy/local/system/wait-for.js';
import { getProbe, metricValue } from '../support/probes.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { TestTopics } from '../support/test-topics.js';
import { todoEvents } from '../support/todo-event-stream.js';

/** A recheck of a blocked partition every second, so the tests see an operator's fix at once. */
const fastRecheck = { RETRY_INITIAL_DELAY_MS: '200', RETRY_MAX_DELAY_MS: '1000' };

describe('stored offsets that belong to another log', () => {
  let database: TestDatabase;
  let topics: TestTopics;
  let admin: Admin;
  let port: number;
  let consumer: CliProcess | undefined;

  function env(brokers: TestTopics = topics, extra: Record<string, string> = {}): Record<string, string> {
    return { ...brokers.consumerEnv(), DATABASE_URL: database.url, HTTP_PORT: String(port), ...fastRecheck, ...extra };
  }

  function start(settings: Record<string, string>): CliProcess {
    consumer = startCli(['consume'], settings);
    return consumer;
  }

  async function stop(cli: CliProcess): Promise<void> {
    cli.child.kill('SIGTERM');
    assert.equal(await cli.exited, 0, cli.output());
    consumer = undefined;
  }

  async function storedOffset(topic: string): Promise<string | undefined> {
    const row = await database.db.selectFrom('todo_event_log_offsets').select('next_offset').where('kafka_topic', '=', topic).where('kafka_partition', '=', 0).executeTakeFirst();
    return row?.next_offset;
  }

  async function caughtUp(on: TestTopics = topics): Promise<void> {
    const ends = await on.endOffsets();
    await waitFor('the consumer to commit the end of the partition', () => on.committedOffsets(), (committed) => committed.get(0) === ends.get(0));
  }

  async function blocked(reason: string): Promise<string> {
    const readiness = await waitFor(`/readyz to report the partition blocked (${reason})`, () => getProbe(port, '/readyz'), (answer) => answer.status === 503 && answer.body.includes('blocked'));
    const metrics = (await getProbe(port, '/metrics')).body;
    assert.equal(metricValue(metrics, 'todo_history_partition_blocked', { partition: '0', reason }), 1, metrics);
    return readiness.body;
  }

  async function offsetsReset(settings: Record<string, string>, to: string): Promise<void> {
    const { code, output } = await runCli(['offsets', 'reset', '--to', to], { ...settings, LOG_LEVEL: 'warn' });
    assert.equal(code, 0, output);
  }

  /** Deletes the topic and creates it again under the same name, empty, as an operator would. */
  async function recreateTopic(): Promise<void> {
    await admin.deleteTopics({ topics: [topics.topic] });
    await waitFor(
      'the topic to be created again once its deletion completes',
      () => admin.createTopics({ waitForLeaders: true, topics: [{ topic: topics.topic, numPartitions: 1 }] }),
      (created) => created,
      { timeoutMs: 60_000, intervalMs: 500 },
    );
  }

  before(async () => {
    port = await findFreePort();
    database = await createTestDatabase();
    topics = new TestTopics();
    await topics.create(1);
    admin = topics.kafka.admin();
    await admin.connect();
  });

  after(async () => {
    consumer?.child.kill('SIGKILL');
    await admin.disconnect();
    await topics.close();
    await database.drop();
  });

  it('blocks a partition of a topic recreated while the consumer was stopped, skips nothing, and reads the new topic once the operator resets', async () => {
    await topics.produce(todoEvents(0, 30));
    const first = start(env());
    await caughtUp();
    await stop(first);
    assert.equal(await storedOffset(topics.topic), '30');

    await recreateTopic();
    await topics.produce(todoEvents(1_000, 10));
    const second = start(env());
    const reason = await blocked('past_log_end');
    assert.match(reason, /partition 0 blocked: its stored offset 30 lies past the log's end 10/);
    assert.equal(await database.rowCount(), 30, 'nothing of the new topic is stored before the operator decides');
    assert.equal(await storedOffset(topics.topic), '30', 'nothing is skipped');
    const logged = second.logLines().filter((line) => line.reason === 'past_log_end');
    assert.equal(logged.length, 1, 'one error line, however often the partition is looked at again');
    assert.equal(logged[0]?.level, 'error');
    assert.ok(!second.output().includes('    at '), 'no stack trace');

    await offsetsReset(env(), 'earliest');
    await caughtUp();
    assert.equal(await database.rowCount(), 40);
    await waitFor('/readyz 200 again', () => getProbe(port, '/readyz'), (answer) => answer.status === 200);
    assert.equal(metricValue((await getProbe(port, '/metrics')).body, 'todo_history_partition_blocked', { partition: '0', reason: 'past_log_end' }), 0);
  });

  it('blocks a partition of a topic recreated under the running consumer', async () => {
    const running = consumer;
    assert.ok(running !== undefined);
    await recreateTopic();
    await topics.produce(todoEvents(2_000, 4));
    await blocked('past_log_end');
    assert.equal(await database.rowCount(), 40);
    assert.equal(running.child.exitCode, null, 'the consumer keeps running');

    await offsetsReset(env(), 'earliest');
    await caughtUp();
    assert.equal(await database.rowCount(), 44);
    await stop(running);
  });

  it('blocks the partitions when pointed at another cluster with the same topic, until the operator adopts it', async () => {
    let other: KafkaBrokerHandle | undefined;
    let otherTopics: TestTopics | undefined;
    try {
      other = await startKafkaBroker();
      otherTopics = new TestTopics([other.brokers], topics.topic, topics.groupId);
      await otherTopics.create(1);
      await otherTopics.produce(todoEvents(3_000, 50));
      const moved = start(env(otherTopics));
      const reason = await blocked('other_cluster');
      assert.match(reason, new RegExp(`read from Kafka cluster \\S+, but the brokers are cluster ${other.clusterId}`));
      assert.equal(await database.rowCount(), 44);

      await offsetsReset(env(otherTopics), 'earliest');
      await caughtUp(otherTopics);
      assert.equal(await database.rowCount(), 94);
      const stored = await database.db.selectFrom('todo_event_log_offsets').select('kafka_cluster_id').where('kafka_topic', '=', topics.topic).executeTakeFirst();
      assert.equal(stored?.kafka_cluster_id, other.clusterId);
      await stop(moved);
    } finally {
      await otherTopics?.close();
      await other?.destroy();
    }
  });
});

describe('retention past a stopped consumer\'s offset', () => {
  let database: TestDatabase;
  let port: number;

  before(async () => {
    port = await findFreePort();
    database = await createTestDatabase();
  });

  after(() => database.drop());

  for (const fromBeginning of [false, true]) {
    it(`continues at the log start and counts the records lost, with KAFKA_FROM_BEGINNING=${fromBeginning}`, async () => {
      const topics = new TestTopics();
      const admin = topics.kafka.admin();
      let consumer: CliProcess | undefined;
      try {
        await topics.create(1);
        await admin.connect();
        const settings = { ...topics.consumerEnv(), DATABASE_URL: database.url, HTTP_PORT: String(port), KAFKA_FROM_BEGINNING: String(fromBeginning) };
        if (fromBeginning) await topics.produce(todoEvents(0, 20));
        consumer = startCli(['consume'], settings);
        if (!fromBeginning) {
          // Starting at the log's end, the consumer commits that end once the partition is assigned: then the events come.
          await waitFor('the consumer to start the partition at its end', () => topics.committedOffsets(), (committed) => committed.get(0) === '0');
          await topics.produce(todoEvents(0, 20));
        }
        await waitFor('the first 20 events stored', () => topics.committedOffsets(), (committed) => committed.get(0) === '20');
        consumer.child.kill('SIGTERM');
        assert.equal(await consumer.exited, 0);

        await topics.produce(todoEvents(20, 30));
        // What retention does to a log segment, done at once: the log now starts at 35.
        await admin.fetchTopicMetadata({ topics: [topics.topic] });
        await admin.deleteTopicRecords({ topic: topics.topic, partitions: [{ partition: 0, offset: '35' }] });
        consumer = startCli(['consume'], settings);
        await waitFor('the events still in the topic stored', () => topics.committedOffsets(), (committed) => committed.get(0) === '50');
        const rows = await database.db.selectFrom('todo_event_logs').select('kafka_offset').where('kafka_topic', '=', topics.topic).orderBy('kafka_offset').execute();
        assert.deepEqual(
          rows.map((row) => Number(row.kafka_offset)),
          [...Array.from({ length: 20 }, (_, i) => i), ...Array.from({ length: 15 }, (_, i) => 35 + i)],
        );
        const metrics = (await getProbe(port, '/metrics')).body;
        assert.equal(metricValue(metrics, 'todo_history_records_lost_to_retention_total', { partition: '0' }), 15);
        const warning = consumer.logLines().find((line) => String(line.msg).startsWith('records lost to retention'));
        assert.deepEqual([warning?.fromOffset, warning?.toOffset, warning?.records], ['20', '35', '15']);
      } finally {
        consumer?.child.kill('SIGKILL');
        await admin.disconnect();
        await topics.close();
      }
    });
  }
});
