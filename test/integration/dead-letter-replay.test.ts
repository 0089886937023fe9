import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Message } from 'kafkajs';
import { sql } from 'kysely';
import { runCli, startCli } from '../../deploy/local/cli-process.js';
import type { InspectSummary } from '../../src/dlq/inspect-summary.js';
import type { ReplayReport } from '../../src/dlq/replay-letters.js';
import { findFreePort } from '../../deploy/local/system/free-port.js';
import { waitFor } from '../../deploy/local/system/wait-for.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { TestTopics } from '../support/test-topics.js';
import { todoEvent } from '../support/todo-event-stream.js';

const valid = 300;
const large = 20;
const invalid = 10;
const tightMaxBytes = '2048';
const hour = 3_600_000;

/** A valid event over the tight limit: the mapping keeps unknown fields in event_data. */
function largeEvent(index: number, timestamp: number): Message {
  const event = todoEvent(index);
  const body = JSON.parse(String(event.value)) as Record<string, unknown>;
  return { key: event.key ?? null, value: JSON.stringify({ ...body, note: 'n'.repeat(3_000) }), timestamp: String(timestamp) };
}

function parseReport<T>(output: string): T {
  return JSON.parse(output) as T;
}

describe('todo-history dlq: inspect the dead letters, and replay those that are valid now, exactly once', () => {
  let database: TestDatabase;
  let topics: TestTopics;
  const now = Date.now();
  const largeAt = now - 2 * hour;
  const invalidAt = now - hour;
  const env = (settings: Record<string, string> = {}): Record<string, string> => ({ ...topics.consumerEnv(), DATABASE_URL: database.url, ...settings });

  async function dlq(args: string[], settings: Record<string, string> = {}): Promise<string> {
    const { code, output } = await runCli(['dlq', ...args], env(settings));
    assert.equal(code, 0, output);
    return output;
  }

  async function storedRows(): Promise<{ total: number; distinct: number }> {
    const { rows } = await sql<{ total: string; distinct: string }>`
      SELECT count(*) AS total, count(DISTINCT (kafka_partition, kafka_offset)) AS distinct FROM todo_event_logs`.execute(database.db);
    return { total: Number(rows[0]?.total), distinct: Number(rows[0]?.distinct) };
  }

  before(async () => {
    database = await createTestDatabase();
    topics = new TestTopics();
    await topics.create(3);
    const messages: Message[] = [];
    for (let i = 0; i < valid; i += 1) {
      messages.push(todoEvent(i));
      if (i % 15 === 0) messages.push(largeEvent(1_000 + i, largeAt + i));
      if (i % 30 === 0) messages.push({ key: `bad-${i}`, value: `{"eventType": "created", "payload": {`, timestamp: String(invalidAt + i) });
    }
    await topics.produce(messages);
    // The consumer that dead-letters them: its event size limit is far too tight for the large events.
    const consumer = startCli(['consume'], env({ EVENT_MAX_BYTES: tightMaxBytes, HTTP_PORT: String(await findFreePort()) }));
    try {
      await waitFor('every event to be stored or dead-lettered', () => topics.committedOffsets(), (c) => [...c.values()].reduce((s, o) => s + Number(o), 0) === valid + large + invalid, { timeoutMs: 60_000, intervalMs: 500 });
    } finally {
      consumer.child.kill('SIGTERM');
    }
    assert.equal(await consumer.exited, 0, consumer.output());
    assert.deepEqual(await storedRows(), { total: valid, distinct: valid });
  });

  after(async () => {
    await topics.close();
    await database.drop();
  });

  it('inspect counts the letters by reason, with their original time and offsets, and samples each reason', async () => {
    const summary = parseReport<InspectSummary>(await dlq(['inspect', '--samples', '2']));
    assert.equal(summary.topic, topics.dlqTopic);
    assert.equal(summary.read, large + invalid);
    assert.equal(summary.matched, large + invalid);
    assert.deepEqual(summary.byReason, { invalid_json: invalid, too_large: large });
    assert.deepEqual(summary.originalTime, { first: new Date(largeAt).toISOString(), last: new Date(invalidAt + 270).toISOString() });
    assert.equal(summary.originalOffsets.reduce((sum, range) => sum + range.letters, 0), large + invalid);
    assert.ok(summary.originalOffsets.every((range) => range.topic === topics.topic && BigInt(range.first) <= BigInt(range.last)));
    assert.deepEqual(summary.samples.map((sample) => sample.reason).sort(), ['invalid_json', 'invalid_json', 'too_large', 'too_large']);
    const tooLarge = summary.samples.find((sample) => sample.reason === 'too_large');
    assert.match(tooLarge?.error ?? '', /2048/);
    assert.ok(tooLarge?.value?.endsWith('…') === true && tooLarge.value.length === 501, 'a sample value is cut to 500 characters');
  });

  it('inspect takes only the letters its filters name', async () => {
    const byReason = parseReport<InspectSummary>(await dlq(['inspect', '--reason', 'invalid_json']));
    assert.deepEqual(byReason.byReason, { invalid_json: invalid });
    const byTime = parseReport<InspectSummary>(await dlq(['inspect', '--since', new Date(invalidAt - hour / 2).toISOString()]));
    assert.deepEqual(byTime.byReason, { invalid_json: invalid });
    const [range] = byReason.originalOffsets;
    assert.ok(range !== undefined);
    const byOffsets = parseReport<InspectSummary>(await dlq(['inspect', '--partition', String(range.partition), '--offsets', `${range.first}-${range.first}`]));
    assert.equal(byOffsets.matched, 1);
  });

  it('replay --dry-run reports what would be stored now that the limit is raised, and stores nothing', async () => {
    const report = parseReport<ReplayReport>(await dlq(['replay', '--dry-run']));
    assert.equal(report.dryRun, true);
    assert.equal(report.matched, large + invalid);
    assert.equal(report.stored, large);
    assert.equal(report.alreadyStored, 0);
    assert.deepEqual(report.stillInvalid, { invalid_json: invalid });
    assert.deepEqual(await storedRows(), { total: valid, distinct: valid });
  });

  it('replay stores the letters valid now under their original coordinates, and a second replay adds nothing', async () => {
    const first = parseReport<ReplayReport>(await dlq(['replay', '--reason', 'too_large']));
    assert.deepEqual({ matched: first.matched, stored: first.stored, alreadyStored: first.alreadyStored, stillInvalid: first.stillInvalid }, { matched: large, stored: large, alreadyStored: 0, stillInvalid: {} });
    assert.deepEqual(await storedRows(), { total: valid + large, distinct: valid + large });

    const letters = await topics.deadLetters(large + invalid);
    const expected = letters
      .filter((letter) => letter.headers['dlq.reason'] === 'too_large')
      .map((letter) => `${letter.headers['dlq.original.partition']}/${letter.headers['dlq.original.offset']}`)
      .sort();
    const { rows } = await sql<{ coordinates: string }>`
      SELECT kafka_partition || '/' || kafka_offset AS coordinates FROM todo_event_logs
      WHERE kafka_topic = ${topics.topic} AND length(event_data::text) > ${Number(tightMaxBytes)} ORDER BY 1`.execute(database.db);
    assert.deepEqual(rows.map((row) => row.coordinates).sort(), expected);

    const again = parseReport<ReplayReport>(await dlq(['replay']));
    assert.deepEqual({ stored: again.stored, alreadyStored: again.alreadyStored, stillInvalid: again.stillInvalid }, { stored: 0, alreadyStored: large, stillInvalid: { invalid_json: invalid } });
    assert.equal(again.stillInvalidSamples[0]?.reason, 'invalid_json');
    assert.deepEqual(await storedRows(), { total: valid + large, distinct: valid + large });
  });

  it("leaves the dead-letter topic, the consumer group's offsets and no group of its own behind", async () => {
    const committed = await topics.committedOffsets();
    assert.equal([...committed.values()].reduce((sum, offset) => sum + Number(offset), 0), valid + large + invalid);
    const admin = topics.kafka.admin();
    await admin.connect();
    try {
      const dlqEnds = await admin.fetchTopicOffsets(topics.dlqTopic);
      assert.equal(dlqEnds.reduce((sum, partition) => sum + Number(partition.offset), 0), large + invalid);
      const { groups } = await admin.listGroups();
      assert.deepEqual(groups.filter((group) => group.groupId.startsWith('todo-history-dlq-')), []);
    } finally {
      await admin.disconnect();
    }
  });
});
