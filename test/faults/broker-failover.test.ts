import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { Partitioners, type Admin, type Message } from 'kafkajs';
import { sql } from 'kysely';
import { startCli, type CliProcess } from '../../deploy/local/cli-process.js';
import { startKafkaCluster, type KafkaClusterHandle } from '../../deploy/local/services/kafka-cluster.js';
import { findFreePort } from '../../deploy/local/system/free-port.js';
import { isProcessAlive } from '../../deploy/local/system/process-liveness.js';
import { waitFor } from '../../deploy/local/system/wait-for.js';
import { deadLetterHeaders } from '../../src/kafka/dead-letter-headers.js';
import { createDeadLetterPublisher, type DeadLetter } from '../../src/kafka/dead-letter-publisher.js';
import { getProbe } from '../support/probes.js';
import { SteadyStream } from '../support/steady-stream.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { TestTopics } from '../support/test-topics.js';
import { todoEvent } from '../support/todo-event-stream.js';

const runId = randomUUID();
// One message in ten is not JSON, so dead letters are published all along the stream.
const invalidEvery = 10;

function isInvalid(index: number): boolean {
  return index % invalidEvery === invalidEvery - 1;
}

const partitions = 3;

/** The `index`-th message, on partition `index % partitions`. */
function streamMessage(index: number): Message {
  const message = isInvalid(index) ? { key: `invalid-${index}`, value: `not json #${index} (${runId})` } : todoEvent(index, runId);
  return { ...message, partition: index % partitions };
}

/**
 * One send per partition: a kafkajs 2.2.4 send that spans several leaders can resolve without the
 * messages of a partition whose leadership moved to a broker that had already answered (tulios/kafkajs#1798).
 */
async function producePerPartition(topics: TestTopics, messages: Message[]): Promise<void> {
  for (let partition = 0; partition < partitions; partition += 1) {
    const ofPartition = messages.filter((message) => message.partition === partition);
    if (ofPartition.length > 0) await topics.produce(ofPartition);
  }
}

interface PartitionState {
  leader: number;
  isr: number[];
  replicas: number[];
}

async function partitionState(admin: Admin, topic: string, partition: number): Promise<PartitionState> {
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  const found = topics[0]?.partitions.find((p) => p.partitionId === partition);
  if (found === undefined) throw new Error(`no metadata for ${topic}[${partition}]`);
  return { leader: found.leader, isr: found.isr, replicas: found.replicas };
}

/** What `actual` holds not exactly once of `expected`, and what it holds besides: all empty when they match. */
function exactlyOnceDiff(actual: readonly string[], expected: readonly string[]): { missing: string[]; repeated: string[]; unexpected: string[] } {
  const counts = new Map<string, number>();
  for (const item of actual) counts.set(item, (counts.get(item) ?? 0) + 1);
  const wanted = new Set(expected);
  return {
    missing: expected.filter((item) => !counts.has(item)),
    repeated: [...counts].filter(([item, count]) => wanted.has(item) && count > 1).map(([item]) => item),
    unexpected: [...counts.keys()].filter((item) => !wanted.has(item)),
  };
}

function total(offsets: ReadonlyMap<number, string>): number {
  return [...offsets.values()].reduce((sum, offset) => sum + Number(offset), 0);
}

async function endOffsetTotal(admin: Admin, topic: string): Promise<number> {
  return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
}

/** The dead-letter topic's end, asked again while a client's metadata still names a leader that moved. */
function lettersOnTopic(admin: Admin, topic: string): Promise<number> {
  return waitFor(`the end of ${topic}`, () => endOffsetTotal(admin, topic), () => true);
}

describe('partition leaders killed in a three-broker cluster', () => {
  let cluster: KafkaClusterHandle;
  let database: TestDatabase;
  let topics: TestTopics;
  let admin: Admin;
  let consumer: CliProcess;
  let httpPort: number;
  let stream: SteadyStream;
  // Registered as each thing is started, undone in reverse, also after a failed before().
  const cleanups: (() => Promise<unknown>)[] = [];

  before(async () => {
    // A node missing heartbeats for 4 s (instead of 9 s) is fenced and its partitions get new leaders.
    cluster = await startKafkaCluster({ serverProperties: { 'broker.heartbeat.interval.ms': '1000', 'broker.session.timeout.ms': '4000' } });
    cleanups.push(() => cluster.destroy());
    database = await createTestDatabase();
    cleanups.push(() => database.drop());
    topics = new TestTopics(cluster.brokers.split(','));
    cleanups.push(() => topics.close());
    await topics.create(partitions, { 'min.insync.replicas': '2' }, { dlqPartitions: partitions });
    admin = topics.kafka.admin();
    cleanups.push(() => admin.disconnect());
    await admin.connect();
    httpPort = await findFreePort();
    consumer = startCli(['consume'], {
      ...topics.consumerEnv(),
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      KAFKA_HEARTBEAT_INTERVAL_MS: '1000',
      DATABASE_URL: database.url,
      LAG_POLL_INTERVAL_MS: '1000',
      HTTP_PORT: String(httpPort),
    });
    cleanups.push(async () => consumer.child.kill('SIGKILL'));
  });

  after(async () => {
    const failures: unknown[] = [];
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw new AggregateError(failures, 'cleaning up after the failover test failed');
  });

  /** Kills the leader of `topic`'s `partition`, lets the stream go on without it, and brings it back into the ISR. */
  async function killLeaderAndBringBack(topic: string, partition: number): Promise<void> {
    const { leader, replicas } = await partitionState(admin, topic, partition);
    assert.equal(replicas.length, 3, `${topic}[${partition}] has three replicas`);
    const node = cluster.node(leader);
    const producedBefore = stream.count;
    await node.kill();
    await waitFor(
      `leadership of ${topic}[${partition}] to move from node ${leader}`,
      () => partitionState(admin, topic, partition),
      (state) => state.leader !== leader && state.leader >= 0 && !state.isr.includes(leader),
      { timeoutMs: 60_000 },
    );
    // Produced, stored and dead-lettered while the node is down.
    const [rowsBefore, lettersBefore] = [await database.rowCount(), await lettersOnTopic(admin, topics.dlqTopic)];
    await waitFor('the stream to go on without the node', async () => stream.count, (count) => count >= producedBefore + 200, { timeoutMs: 60_000 });
    await waitFor('rows to be stored without the node', () => database.rowCount(), (rows) => rows > rowsBefore, { timeoutMs: 60_000 });
    await waitFor('letters to be published without the node', () => endOffsetTotal(admin, topics.dlqTopic), (letters) => letters > lettersBefore, { timeoutMs: 60_000 });
    await node.start();
    await waitFor(
      `node ${leader} back in the ISR of every partition`,
      async () => Promise.all([topics.topic, topics.dlqTopic].flatMap((name) => Array.from({ length: partitions }, (_, p) => partitionState(admin, name, p)))),
      (states) => states.every((state) => state.isr.length === 3),
      { timeoutMs: 120_000 },
    );
  }

  it('mid-stream: every event stored once and no letter lost while leaders die and come back, the consumer never restarted', async () => {
    stream = new SteadyStream((messages) => producePerPartition(topics, messages), streamMessage);
    cleanups.push(() => stream.stop());
    await waitFor('events to be stored', () => database.rowCount(), (rows) => rows >= 100, { timeoutMs: 120_000 });
    await waitFor('letters to be published', () => endOffsetTotal(admin, topics.dlqTopic), (letters) => letters >= 10, { timeoutMs: 60_000 });

    await killLeaderAndBringBack(topics.topic, 1);
    await killLeaderAndBringBack(topics.dlqTopic, 0);

    const produced = await stream.stop();
    // A leader elected a moment ago reports a high watermark that its followers have not confirmed yet.
    const ends = await waitFor('the high watermarks to pass every acknowledged message', () => topics.endOffsets(), (offsets) => total(offsets) >= produced);
    assert.equal(total(ends), produced, 'the idempotent producer wrote each message once');

    await waitFor(
      "the group's committed offsets to reach the end of every partition",
      () => topics.committedOffsets(),
      (committed) => [...ends].every(([partition, end]) => committed.get(partition) === end),
      { timeoutMs: 120_000 },
    );

    const validIndexes = Array.from({ length: produced }, (_, index) => index).filter((index) => !isInvalid(index));
    const invalidIndexes = Array.from({ length: produced }, (_, index) => index).filter(isInvalid);
    const { rows } = await sql<{ changes: string; coordinates: string }>`
      SELECT changes, kafka_partition || ':' || kafka_offset AS coordinates
      FROM todo_event_logs`.execute(database.db);
    assert.equal(new Set(rows.map((row) => row.coordinates)).size, rows.length, 'a Kafka record is stored twice');
    const noDifference = { missing: [], repeated: [], unexpected: [] };
    const validChanges = validIndexes.map((index) => (JSON.parse(String(todoEvent(index, runId).value)) as { payload: { changes: string } }).payload.changes);
    assert.deepEqual(exactlyOnceDiff(rows.map((row) => row.changes), validChanges), noDifference, 'every valid event is stored exactly once');

    // Letters are published at least once (docs/delivery-guarantees.md): a batch whose publish failed
    // part way, its dead-letter leader gone, is retried whole. None is lost, none stands for a stored row.
    const letters = await topics.deadLetters(await lettersOnTopic(admin, topics.dlqTopic));
    const invalidValues = invalidIndexes.map((index) => String(streamMessage(index).value));
    const { missing, unexpected } = exactlyOnceDiff(letters.map((letter) => String(letter.value)), invalidValues);
    assert.deepEqual({ missing, unexpected }, { missing: [], unexpected: [] }, 'every invalid event is dead-lettered');
    assert.ok(letters.every((letter) => letter.headers[deadLetterHeaders.reason] === 'invalid_json'));
    const letterCoordinates = new Set(letters.map((l) => `${l.headers[deadLetterHeaders.partition]}:${l.headers[deadLetterHeaders.offset]}`));
    assert.equal(letterCoordinates.size, invalidIndexes.length, 'each letter names the record it stands for');
    assert.equal(new Set([...rows.map((row) => row.coordinates), ...letterCoordinates]).size, produced, 'each record became a row or a letter, none both');

    assert.equal(consumer.child.exitCode, null, 'the consumer exited');
    assert.ok(consumer.child.pid !== undefined && isProcessAlive(consumer.child.pid), 'the consumer process is alive');
    assert.deepEqual(consumer.logLines().filter((line) => line.level === 'fatal'), [], 'nothing fatal was logged');
    assert.equal((await getProbe(httpPort, '/livez')).status, 200);
    await waitFor('/readyz', () => getProbe(httpPort, '/readyz'), (probe) => probe.status === 200, { timeoutMs: 60_000 });
  });

  it('publishes every letter of a send whose partition\'s leadership moves to a broker that already answered it', async () => {
    const topic = `letters-${randomUUID()}`;
    // Partition 0 is led by node 1; partition 1 by node 2, with node 1 next in line to lead it.
    await admin.createTopics({ waitForLeaders: false, topics: [{ topic, replicaAssignment: [{ partition: 0, replicas: [1, 2, 3] }, { partition: 1, replicas: [2, 1, 3] }] }] });
    cleanups.push(() => admin.deleteTopics({ topics: [topic] }));
    const readPartitions = async () => (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions ?? [];
    await waitFor('the preferred leaders', readPartitions, (metadata) => metadata.map((p) => p.leader).join() === '1,2');
    // The consumer's own producer settings.
    const producer = topics.kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    cleanups.push(() => producer.disconnect());
    await producer.connect();
    const publish = createDeadLetterPublisher(producer, { topic, groupId: topics.groupId, maxMessageBytes: 1_048_588, readPartitions });
    const letters = (from: number): DeadLetter[] =>
      Array.from({ length: 20 }, (_, i) => ({
        topic: topics.topic,
        partition: 0,
        message: { key: Buffer.from(`key-${from + i}`), value: Buffer.from(`letter ${from + i}`), timestamp: '0', attributes: 0, offset: String(from + i), headers: {} },
        code: 'invalid_json',
        reason: 'not JSON',
      }));
    const metadata = await readPartitions();
    const partitioner = Partitioners.DefaultPartitioner();
    assert.deepEqual(new Set(letters(20).map(({ message }) => partitioner({ topic, partitionMetadata: metadata, message: { key: message.key, value: message.value } }))), new Set([0, 1]), 'the letters go to both partitions');
    // Connections to both leaders and their metadata, as a running consumer has them (asked again while a
    // node does not know the new topic yet).
    await waitFor('a first publish', () => publish(letters(0)), () => true);

    // Node 2 hangs with a request of the send in flight, node 1 answers its own; then node 2 dies, and
    // node 1 takes over partition 1.
    cluster.node(2).freeze();
    const published = publish(letters(20)).then(
      () => true,
      () => false,
    );
    await sleep(1_000);
    await cluster.node(2).kill();
    // The consumer retries a batch whose publish failed (a connection reset, or its producer's retries
    // spent before a leader was elected); so does this test.
    if (!(await published)) await waitFor('the letters to be published', () => publish(letters(20)), () => true, { timeoutMs: 60_000 });
    await cluster.node(2).start();

    const received = await topics.deadLetters(await lettersOnTopic(admin, topic), topic);
    const { missing, unexpected } = exactlyOnceDiff(received.map((letter) => String(letter.value)), Array.from({ length: 40 }, (_, i) => `letter ${i}`));
    assert.deepEqual({ missing, unexpected }, { missing: [], unexpected: [] });
  });
});
