import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { sql } from 'kysely';
import { startCli, type CliProcess } from '../../deploy/local/cli-process.js';
import { findFreePort } from '../../deploy/local/system/free-port.js';
import { waitFor } from '../../deploy/local/system/wait-for.js';
import { compressedCodecsIn } from '../support/batch-codecs.js';
import { JavaProducers, type KafkaCodec } from '../support/java-producer.js';
import { getProbe, metricValue } from '../support/probes.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { brokers, TestTopics } from '../support/test-topics.js';
import { todoEvent } from '../support/todo-event-stream.js';

const CODECS: readonly KafkaCodec[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/** A topic, a database and, once started, `todo-history consume` between them; all gone at the end. */
class Pipeline {
  readonly topics = new TestTopics();
  private database: TestDatabase | undefined;
  private consumer: CliProcess | undefined;
  private port = 0;

  static async create(partitions: number, topicConfig: Record<string, string> = {}): Promise<Pipeline> {
    const pipeline = new Pipeline();
    await pipeline.topics.create(partitions, topicConfig);
    pipeline.database = await createTestDatabase();
    return pipeline;
  }

  get db(): TestDatabase {
    assert.ok(this.database);
    return this.database;
  }

  get process(): CliProcess {
    assert.ok(this.consumer);
    return this.consumer;
  }

  async startConsumer(): Promise<void> {
    this.port = await findFreePort();
    this.consumer = startCli(['consume'], { ...this.topics.consumerEnv(), DATABASE_URL: this.db.url, HTTP_PORT: String(this.port), LAG_POLL_INTERVAL_MS: '500' });
    await waitFor('the consumer to join its group', async () => (await getProbe(this.port, '/readyz')).status, (status) => status === 200);
  }

  /** Waits until the group's committed offsets reach the end of every partition, markers included. */
  async caughtUp(): Promise<Map<number, string>> {
    const ends = await this.topics.endOffsets();
    await waitFor(
      `committed offsets at the partitions' ends ${JSON.stringify([...ends])}`,
      () => this.topics.committedOffsets(),
      (committed) => [...ends].every(([partition, end]) => committed.get(partition) === end),
      { timeoutMs: 60_000 },
    );
    return ends;
  }

  /** The `changes` of the stored rows, by partition, in offset order. */
  async storedChanges(): Promise<Map<number, string[]>> {
    const { rows } = await sql<{ kafka_partition: number; changes: string }>`
      SELECT kafka_partition, changes FROM todo_event_logs ORDER BY kafka_partition, kafka_offset::bigint`.execute(this.db.db);
    const byPartition = new Map<number, string[]>();
    for (const row of rows) byPartition.set(row.kafka_partition, [...(byPartition.get(row.kafka_partition) ?? []), row.changes]);
    return byPartition;
  }

  /** The consumer is alive, ready, logged no error, and counted no store retry. */
  async assertHealthy(): Promise<void> {
    assert.equal(this.process.child.exitCode, null, this.process.output());
    assert.equal((await getProbe(this.port, '/readyz')).status, 200);
    assert.deepEqual(this.process.logLines().filter((line) => Number(line.level) >= 50), []);
    assert.equal(metricValue((await getProbe(this.port, '/metrics')).body, 'todo_history_store_retries_total'), 0);
  }

  async close(): Promise<void> {
    this.consumer?.child.kill('SIGKILL');
    await this.topics.close();
    await this.database?.drop();
  }
}

const changesOf = (index: number): string => JSON.parse(String(todoEvent(index).value)).payload.changes as string;

/** Produces events `from`.. one per send, through `producer`, and waits for their acknowledgement. */
async function sendEvents(java: JavaProducers, producer: string, partition: number, indexes: number[]): Promise<void> {
  for (const index of indexes) await java.send(producer, partition, String(todoEvent(index).value));
  await java.flush(producer);
}

describe('events from Kafka\'s Java producer', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  async function pipeline(partitions: number, topicConfig: Record<string, string> = {}): Promise<{ pipeline: Pipeline; java: JavaProducers }> {
    const created = await Pipeline.create(partitions, topicConfig);
    cleanups.push(() => created.close());
    const java = await JavaProducers.start(brokers(), created.topics.topic);
    cleanups.push(() => java.close());
    return { pipeline: created, java };
  }

  it('stores each codec\'s events, one codec per partition', async () => {
    const { pipeline: each, java } = await pipeline(CODECS.length);
    for (const [partition, codec] of CODECS.entries()) {
      await java.producer(codec, codec, 'plain');
      await sendEvents(java, codec, partition, Array.from({ length: 200 }, (_, i) => partition * 200 + i));
    }
    assert.deepEqual([...(await compressedCodecsIn(each.topics.kafka, each.topics.topic, 1_000))].sort(), ['gzip', 'lz4', 'snappy', 'zstd']);
    await each.startConsumer();
    await each.caughtUp();
    const stored = await each.storedChanges();
    for (const [partition, codec] of CODECS.entries()) {
      assert.deepEqual(stored.get(partition), Array.from({ length: 200 }, (_, i) => changesOf(partition * 200 + i)), `the ${codec} partition`);
    }
    await each.assertHealthy();
  });

  it('stores 1,000 events of every codec mixed in the fetches of a 3-partition topic once each', async () => {
    const { pipeline: mixed, java } = await pipeline(3);
    for (const codec of CODECS) await java.producer(codec, codec, 'plain');
    // Round robin over codecs and partitions: every partition holds batches of every codec, side by side.
    for (let i = 0; i < 200; i++) {
      for (const [n, codec] of CODECS.entries()) await java.send(codec, (i * CODECS.length + n) % 3, String(todoEvent(i * CODECS.length + n).value));
    }
    for (const codec of CODECS) await java.flush(codec);
    await mixed.startConsumer();
    const ends = await mixed.caughtUp();
    assert.equal([...ends.values()].reduce((sum, end) => sum + Number(end), 0), 1_000);
    const { rows } = await sql<{ rows: string; events: string }>`
      SELECT count(*) AS rows, count(DISTINCT changes) AS events FROM todo_event_logs`.execute(mixed.db.db);
    assert.deepEqual(rows[0], { rows: '1000', events: '1000' });
    await mixed.assertHealthy();
  });

  it('stores the events of a topic whose broker recompresses every batch (compression.type=lz4)', async () => {
    const { pipeline: recompressed, java } = await pipeline(1, { 'compression.type': 'lz4' });
    for (const [n, codec] of (['none', 'gzip', 'zstd'] as const).entries()) {
      await java.producer(codec, codec, 'plain');
      await sendEvents(java, codec, 0, Array.from({ length: 100 }, (_, i) => n * 100 + i));
    }
    assert.deepEqual([...(await compressedCodecsIn(recompressed.topics.kafka, recompressed.topics.topic, 300))], ['lz4']);
    await recompressed.startConsumer();
    await recompressed.caughtUp();
    assert.deepEqual((await recompressed.storedChanges()).get(0), Array.from({ length: 300 }, (_, i) => changesOf(i)));
    await recompressed.assertHealthy();
  });

  it('stores only committed events of interleaved transactions, the consumer started inside two open ones', async () => {
    const { pipeline: transactions, java } = await pipeline(1);
    const { topics } = transactions;
    /**
     * Waits for the partition's last stable offset to reach `end`: the broker writes a marker after it
     * acknowledges the commit or abort, and an open transaction holds the stable offset at its start.
     */
    const endAt = (end: number): Promise<unknown> =>
      waitFor(`the partition's end at ${end}`, async () => (await topics.endOffsets()).get(0), (offset) => offset === String(end), { timeoutMs: 10_000, intervalMs: 50 });
    await java.producer('a', 'lz4', 'transactional');
    await java.producer('b', 'snappy', 'transactional');
    await java.producer('plain', 'zstd', 'plain');
    // Offsets 0-3: a, b, a, b, both transactions open.
    await java.begin('a');
    await java.begin('b');
    await sendEvents(java, 'a', 0, [1000]);
    await sendEvents(java, 'b', 0, [1001]);
    await sendEvents(java, 'a', 0, [1002]);
    await sendEvents(java, 'b', 0, [1003]);
    // The group starts at offset 3, inside both transactions, while they are open.
    const admin = topics.kafka.admin();
    await admin.connect();
    await admin.setOffsets({ groupId: topics.groupId, topic: topics.topic, partitions: [{ partition: 0, offset: '3' }] });
    await admin.disconnect();
    await transactions.startConsumer();
    // Both abort (markers at 4 and 5), then a committed transaction (6, 7, marker 8) and a plain record (9).
    await java.abort('a');
    await java.abort('b');
    await endAt(6);
    await java.begin('a');
    await sendEvents(java, 'a', 0, [1, 2]);
    await java.commit('a');
    await endAt(9);
    await sendEvents(java, 'plain', 0, [3]);
    // Interleaved: b's aborted records between a's committed ones (10-13, b's marker 14, a's 15).
    await java.begin('b');
    await java.begin('a');
    await sendEvents(java, 'b', 0, [1004]);
    await sendEvents(java, 'a', 0, [4]);
    await sendEvents(java, 'b', 0, [1005]);
    await sendEvents(java, 'a', 0, [5]);
    await java.abort('b');
    await java.commit('a');
    await endAt(16);
    await transactions.caughtUp();
    assert.deepEqual((await transactions.storedChanges()).get(0), [1, 2, 3, 4, 5].map(changesOf));
    await transactions.assertHealthy();
  });
});
