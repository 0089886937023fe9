import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { Message } from 'kafkajs';
import { sql } from 'kysely';
import { deadLetterHeaders } from '../../src/kafka/dead-letter-headers.js';
import { startCli, type CliProcess } from '../../deploy/local/cli-process.js';
import { findFreePort } from '../../deploy/local/system/free-port.js';
import { waitFor } from '../../deploy/local/system/wait-for.js';
import { eventLike, hostileValue, recordTimestamp } from '../support/hostile-events.js';
import { getProbe } from '../support/probes.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { TestTopics, type ReceivedMessage } from '../support/test-topics.js';

const seed = 20261201;
// The source topic takes messages up to 2 MiB, so that one above EVENT_MAX_BYTES can be produced; the
// dead-letter topic keeps Kafka's default of 1 MiB, which that message's letter cannot fit.
const sourceMaxMessageBytes = 2 * 1_048_576;

/** A valid event; `extraMembers` is raw JSON text added to its payload (numbers JSON.stringify cannot write). */
function validEvent(index: number, extraMembers = ''): string {
  const payload = `{"entity":"Task","entityId":"valid-${index}","groupId":"g","taskName":"task ${index}"${extraMembers}}`;
  return `{"eventType":"created","timestamp":"2025-11-10T15:30:45.123Z","payload":${payload}}`;
}

/** Each message with what the test expects of it: a row (the valid events, by entityId) or not known. */
interface Planned {
  message: Message;
  validId?: string;
}

function hostileMessages(): Planned[] {
  const planned: Planned[] = [];
  const push = (message: Message, validId?: string) => planned.push(validId === undefined ? { message } : { message, validId });
  let valid = 0;
  const addValid = (message: Omit<Message, 'value'>, extraMembers = '') => {
    const id = `valid-${valid}`;
    push({ ...message, value: validEvent(valid, extraMembers) }, id);
    valid += 1;
  };
  for (let i = 0; i < 1_500; i += 1) addValid({ key: `k${i % 7}` });
  for (const value of fc.sample(hostileValue, { numRuns: 1_500, seed })) push({ key: 'hostile', value });
  const records = fc.sample(fc.record({ event: eventLike, timestamp: recordTimestamp.filter((t) => /^(-1|\d{1,15})$/.test(t)) }), { numRuns: 500, seed });
  for (const { event, timestamp } of records) push({ key: 'shaped', value: JSON.stringify(event), timestamp });
  for (let i = 0; i < 20; i += 1) push({ key: 'deep', value: `{"eventType":"x","payload":{"entity":"Task","entityId":"d","v":${'{"a":'.repeat(6_000)}1${'}'.repeat(6_000)}}}` });
  for (let i = 0; i < 50; i += 1) push({ key: 'tombstone', value: null });
  for (let i = 0; i < 50; i += 1) push({ key: 'utf8', value: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]) });
  addValid({ key: 'numbers' }, ',"snowflake":1234567890123456789,"price":19.90,"big":1e400');
  push({ key: 'numbers', value: '{"eventType":"x","payload":{"entity":"Task","entityId":"n","big":1e200000}}' });
  addValid({ key: 'big-key'.repeat(10_000), headers: { trace: 'h'.repeat(200_000) } });
  // A burst of letters far above 1 MiB in one partition: a producer release that renamed a field.
  for (let i = 0; i < 60; i += 1) push({ key: 'renamed', value: JSON.stringify({ type: 'created', payload: { entity: 'Task', entityId: `r${i}`, blob: 'b'.repeat(50_000) } }) });
  // Just below the dead-letter topic's limit, and just above EVENT_MAX_BYTES: both letters must be cut.
  push({ key: 'near-limit', value: `{"eventType":${'"'.padEnd(1_048_000, 'x')}"` });
  push({ key: 'over-limit', value: `{"pad":"${'y'.repeat(1_100_000)}"}` });
  return planned;
}

function shuffled<T>(items: T[]): T[] {
  const order = fc.sample(fc.shuffledSubarray(items.map((_, index) => index), { minLength: items.length }), { numRuns: 1, seed })[0] ?? [];
  return order.map((index) => items[index] as T);
}

function messageBytes(message: Message): number {
  return (message.value === null || message.value === undefined ? 0 : Buffer.byteLength(message.value)) + Buffer.byteLength(message.key ?? '');
}

describe('a hostile stream through a real broker', () => {
  let database: TestDatabase;
  let topics: TestTopics;
  let consumer: CliProcess;
  let httpPort: number;
  let planned: Planned[];
  let letters: ReceivedMessage[];

  before(async () => {
    httpPort = await findFreePort();
    database = await createTestDatabase();
    topics = new TestTopics();
    await topics.create(3, { 'max.message.bytes': String(sourceMaxMessageBytes), 'message.timestamp.after.max.ms': '9223372036854775807' });
    planned = shuffled(hostileMessages());
    // Small messages go in sends of many; large ones alone, within the source topic's limit.
    let pending: Message[] = [];
    for (const { message } of planned) {
      if (messageBytes(message) < 20_000) {
        pending.push(message);
        if (pending.length === 200) (await topics.produce(pending), (pending = []));
        continue;
      }
      if (pending.length > 0) (await topics.produce(pending), (pending = []));
      await topics.produce([message]);
    }
    if (pending.length > 0) await topics.produce(pending);
    consumer = startCli(['consume'], { ...topics.consumerEnv(), DATABASE_URL: database.url, HTTP_PORT: String(httpPort), LOG_LEVEL: 'warn' });
  });

  after(async () => {
    consumer.child.kill('SIGKILL');
    await topics.close();
    await database.drop();
  });

  it('commits every partition to its end and keeps running, live and ready', async () => {
    const ends = await topics.endOffsets();
    await waitFor(
      'committed offsets to reach the end of every partition',
      () => topics.committedOffsets(),
      (committed) => [...ends].every(([partition, end]) => committed.get(partition) === end),
      { timeoutMs: 180_000 },
    );
    assert.equal(consumer.child.exitCode, null, 'the consumer exited');
    assert.equal((await getProbe(httpPort, '/livez')).status, 200);
    assert.equal((await getProbe(httpPort, '/readyz')).status, 200);
  });

  it('stores or dead-letters every message, none both and none twice, and every valid event once', async () => {
    const ends = await topics.endOffsets();
    const produced = [...ends.values()].reduce((sum, end) => sum + Number(end), 0);
    assert.equal(produced, planned.length);
    const { rows } = await sql<{ kafka_partition: number; kafka_offset: string; entity_id: string }>`
      SELECT kafka_partition, kafka_offset, entity_id FROM todo_event_logs`.execute(database.db);
    letters = await topics.deadLetters(produced - rows.length);
    const coordinates = [
      ...rows.map((row) => `${row.kafka_partition}:${row.kafka_offset}`),
      ...letters.map((letter) => `${letter.headers[deadLetterHeaders.partition]}:${letter.headers[deadLetterHeaders.offset]}`),
    ];
    assert.equal(new Set(coordinates).size, coordinates.length, 'a message was stored twice or both stored and dead-lettered');
    const expected = [...ends].flatMap(([partition, end]) => Array.from({ length: Number(end) }, (_, offset) => `${partition}:${offset}`));
    assert.deepEqual(coordinates.sort(), expected.sort());
    const storedIds = rows.map((row) => row.entity_id);
    for (const { validId } of planned) if (validId !== undefined) assert.equal(storedIds.filter((id) => id === validId).length, 1, validId);
  });

  it('keeps the producer\'s digits, and cuts the letters too large for the dead-letter topic, saying so', async () => {
    const { rows } = await sql<{ data: string }>`
      SELECT event_data::text AS data FROM todo_event_logs WHERE event_data ? 'payload' AND event_data->'payload' ? 'snowflake'`.execute(database.db);
    const data = rows[0]?.data ?? '';
    assert.match(data, /"snowflake": 1234567890123456789\b/);
    assert.match(data, /"price": 19\.90\b/);
    assert.ok(data.includes(`"big": 1${'0'.repeat(400)},`), data);
    const cut = letters.filter((letter) => letter.headers[deadLetterHeaders.valueTruncated] === 'true');
    const original = planned.find(({ message }) => message.key === 'near-limit')?.message.value ?? '';
    const nearLimit = cut.find((letter) => letter.key === 'near-limit');
    assert.ok(nearLimit, 'the near-limit letter');
    assert.equal(nearLimit.headers[deadLetterHeaders.valueBytes], String(Buffer.byteLength(original)));
    assert.equal(nearLimit.headers[deadLetterHeaders.valueSha256], createHash('sha256').update(original).digest('hex'));
    assert.equal(nearLimit.headers[deadLetterHeaders.reason], 'invalid_json');
    assert.equal(cut.find((letter) => letter.key === 'over-limit')?.headers[deadLetterHeaders.reason], 'too_large');
    assert.equal(letters.filter((letter) => letter.key === 'renamed').length, 60);
    assert.ok(letters.some((letter) => letter.headers[deadLetterHeaders.reason] === 'too_deep'));
  });
});
