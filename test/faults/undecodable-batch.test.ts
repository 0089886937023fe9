import assert from 'node:assert/strict';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { runCli, startCli, type CliProcess } from '../../deploy/local/cli-process.js';
import { startKafkaBroker, type KafkaBrokerHandle } from '../../deploy/local/services/kafka-broker.js';
import { findFreePort } from '../../deploy/local/system/free-port.js';
import { waitFor } from '../../deploy/local/system/wait-for.js';
import { JavaProducers } from '../support/java-producer.js';
import { getProbe, metricValue } from '../support/probes.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { TestTopics } from '../support/test-topics.js';
import { todoEvent } from '../support/todo-event-stream.js';

/** Where a v2 record batch's compressed records start: after its 57-byte header and the int32 record count. */
const COMPRESSED_RECORDS_AT = 61;

/**
 * Breaks the LZ4 frame of the record batch at `baseOffset` in the partition's first log segment, as a
 * disk or a buggy tool might. The broker validates batches when they are produced, not when it serves
 * them, so this is the one way to put a batch that cannot be decoded in front of a consumer.
 */
async function corruptBatch(dataDir: string, topic: string, partition: number, baseOffset: bigint): Promise<void> {
  const segment = await open(join(dataDir, `${topic}-${partition}`, '00000000000000000000.log'), 'r+');
  try {
    const { size } = await segment.stat();
    const header = Buffer.alloc(12);
    for (let position = 0; position + 12 <= size; position += 12 + header.readInt32BE(8)) {
      await segment.read(header, 0, 12, position);
      if (header.readBigInt64BE(0) === baseOffset) {
        await segment.write(Buffer.alloc(4), 0, 4, position + COMPRESSED_RECORDS_AT);
        return;
      }
    }
    throw new Error(`no record batch at offset ${baseOffset} in ${topic}-${partition}`);
  } finally {
    await segment.close();
  }
}

const offsets = (from: number, to: number): string => Array.from({ length: to - from }, (_, i) => from + i).join(',');

describe('a record batch the consumer cannot decode', () => {
  let broker: KafkaBrokerHandle;
  let database: TestDatabase;
  let topics: TestTopics;
  let consumer: CliProcess;
  let port: number;

  before(async () => {
    broker = await startKafkaBroker();
    database = await createTestDatabase();
    topics = new TestTopics([broker.brokers]);
    await topics.create(2);
    const java = await JavaProducers.start([broker.brokers], topics.topic);
    try {
      await java.producer('lz4', 'lz4', 'plain');
      // Partition 0: three batches of ten (offsets 0, 10 and 20); partition 1: one of twenty.
      for (const [partition, from, count] of [[0, 0, 10], [0, 10, 10], [0, 20, 10], [1, 100, 20]] as const) {
        for (let i = from; i < from + count; i++) await java.send('lz4', partition, String(todoEvent(i).value));
        await java.flush('lz4');
      }
    } finally {
      await java.close();
    }
    await corruptBatch(join(broker.workDir, 'data'), topics.topic, 0, 10n);
    port = await findFreePort();
    consumer = startCli(['consume'], {
      ...topics.consumerEnv(),
      DATABASE_URL: database.url,
      HTTP_PORT: String(port),
      RETRY_INITIAL_DELAY_MS: '200',
      RETRY_MAX_DELAY_MS: '1000',
      STUCK_PARTITION_TIMEOUT_MS: '2000',
    });
  });

  async function storedOffsets(): Promise<{ kafka_partition: number; offsets: string }[]> {
    const { rows } = await sql<{ kafka_partition: number; offsets: string }>`
      SELECT kafka_partition, string_agg(kafka_offset::text, ',' ORDER BY kafka_offset) AS offsets FROM todo_event_logs GROUP BY 1 ORDER BY 1`.execute(database.db);
    return rows;
  }

  after(async () => {
    consumer.child.kill('SIGKILL');
    await topics.close();
    await database.drop();
    await broker.destroy();
  });

  it('holds its partition at the batch with the reason, while the process and the other partition go on', async () => {
    const readyz = await waitFor('/readyz to report the stuck partition', () => getProbe(port, '/readyz'), (probe) => probe.status === 503 && probe.body.includes('stuck'), { timeoutMs: 60_000 });
    assert.match(readyz.body, /partition 0 stuck for \d+ s \(\d+ attempts\): record batch at offset 10 cannot be decoded: invalid magic number/);
    assert.deepEqual(await storedOffsets(), [
      { kafka_partition: 0, offsets: offsets(0, 10) },
      { kafka_partition: 1, offsets: offsets(0, 20) },
    ]);
    assert.deepEqual(await topics.committedOffsets(), new Map([[0, '10'], [1, '20']]));
    // The metric and the error line follow at the first retry after the stuck timeout, which /readyz may precede.
    await waitFor('the stuck-partition metric', async () => metricValue((await getProbe(port, '/metrics')).body, 'todo_history_partition_stuck', { partition: '0' }), (stuck) => stuck === 1);
    assert.ok(consumer.logLines().some((line) => line.msg?.toString().startsWith('partition stuck') && line.partition === 0 && String(line.reason).includes('offset 10 cannot be decoded')));
    const lines = consumer.logLines();
    const undecodable = lines.filter((line) => line.msg === 'record batch cannot be decoded; partition paused until the retry');
    assert.ok(undecodable.length >= 2, 'retried');
    assert.deepEqual({ partition: undecodable[0]?.partition, fromOffset: undecodable[0]?.fromOffset, batchOffset: undecodable[0]?.batchOffset }, { partition: 0, fromOffset: '10', batchOffset: '10' });
    assert.ok(lines.every((line) => !('err' in line) && !('stack' in line)), 'an expected condition prints no stack');
    assert.equal(consumer.child.exitCode, null);
    assert.equal((await getProbe(port, '/livez')).status, 200);
  });

  it('continues past it once the operator moves the stored offset past it, without a restart', async () => {
    const reset = await runCli(['offsets', 'reset', '--to', '20', '--partition', '0'], { ...topics.consumerEnv(), DATABASE_URL: database.url });
    assert.equal(reset.code, 0, reset.output);
    await waitFor('the records after the batch to be stored', storedOffsets, (rows) => rows[0]?.offsets === `${offsets(0, 10)},${offsets(20, 30)}`);
    await waitFor('committed offsets past it', () => topics.committedOffsets(), (committed) => committed.get(0) === '30' && committed.get(1) === '20');
    await waitFor('/readyz to recover', () => getProbe(port, '/readyz'), (probe) => probe.status === 200);
    assert.equal(metricValue((await getProbe(port, '/metrics')).body, 'todo_history_partition_stuck', { partition: '0' }), 0);
    assert.equal(consumer.child.exitCode, null);
  });
});
