import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { startCli, type CliProcess } from '../../deploy/local/cli-process.js';
import { findOnPath } from '../../deploy/local/system/run-command.js';
import { waitFor } from '../../deploy/local/system/wait-for.js';
import { compressedCodecsIn } from '../support/batch-codecs.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { TestTopics } from '../support/test-topics.js';
import { todoEvent } from '../support/todo-event-stream.js';

/** librdkafka's codecs, as Go, Python, .NET and C clients built on it write them: one partition each. */
const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const PER_CODEC = 150;

const kcat = await findOnPath('kcat');

/** Produces `values` to one partition with kcat, compressed with `codec`, and waits for every acknowledgement. */
function produceWithKcat(brokers: string, topic: string, partition: number, codec: string, values: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(kcat ?? 'kcat', ['-b', brokers, '-t', topic, '-p', String(partition), '-P', '-z', codec, '-X', 'linger.ms=50'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`kcat -z ${codec} exited ${String(code)}: ${stderr}`));
    });
    child.stdin.end(`${values.join('\n')}\n`);
  });
}

describe('events from librdkafka (kcat)', { skip: kcat === undefined ? 'kcat (librdkafka, a Debian package that .ci/run installs) is not installed: librdkafka\'s batches were not tested' : false }, () => {
  let database: TestDatabase;
  let topics: TestTopics;
  let consumer: CliProcess | undefined;

  before(async () => {
    database = await createTestDatabase();
    topics = new TestTopics();
    await topics.create(CODECS.length);
  });

  after(async () => {
    consumer?.child.kill('SIGKILL');
    await topics.close();
    await database.drop();
  });

  it('stores every event of every librdkafka codec once', async () => {
    const [brokers] = topics.consumerEnv().KAFKA_BROKERS?.split(',') ?? [];
    assert.ok(brokers !== undefined);
    for (const [partition, codec] of CODECS.entries()) {
      const values = Array.from({ length: PER_CODEC }, (_, i) => String(todoEvent(partition * PER_CODEC + i).value));
      await produceWithKcat(brokers, topics.topic, partition, codec, values);
    }
    assert.deepEqual([...(await compressedCodecsIn(topics.kafka, topics.topic, CODECS.length * PER_CODEC))].sort(), ['gzip', 'lz4', 'snappy', 'zstd']);

    const cli = startCli(['consume'], { ...topics.consumerEnv(), DATABASE_URL: database.url });
    consumer = cli;
    const ends = await topics.endOffsets();
    await waitFor('the consumer to commit the end of every partition', () => topics.committedOffsets(), (committed) => [...ends].every(([partition, end]) => committed.get(partition) === end), { timeoutMs: 60_000 });
    const { rows } = await sql<{ kafka_partition: number; stored: string; distinct_offsets: string }>`
      SELECT kafka_partition, count(*) AS stored, count(DISTINCT kafka_offset) AS distinct_offsets
      FROM todo_event_logs GROUP BY kafka_partition ORDER BY kafka_partition`.execute(database.db);
    assert.deepEqual(
      rows.map((row) => [row.kafka_partition, Number(row.stored), Number(row.distinct_offsets)]),
      CODECS.map((_, partition) => [partition, PER_CODEC, PER_CODEC]),
    );
    assert.equal(cli.child.exitCode, null);
    assert.deepEqual(cli.logLines().filter((line) => line.level === 'error' || line.level === 'fatal'), []);
  });
});
