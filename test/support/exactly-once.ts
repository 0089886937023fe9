import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { TestDatabase } from './test-database.js';
import type { TestTopics } from './test-topics.js';

/**
 * Every offset below each partition's end was produced (the topic is fresh and holds only valid events):
 * asserts the table holds each of those Kafka coordinates exactly once, and nothing else.
 */
export async function assertStoredExactlyOnce(database: TestDatabase, topics: TestTopics): Promise<number> {
  const ends = await topics.endOffsets();
  const produced = [...ends].reduce((sum, [, end]) => sum + Number(end), 0);
  const { rows } = await sql<{ total: string; distinct: string; misplaced: string }>`
    SELECT count(*) AS total,
      count(DISTINCT (kafka_partition, kafka_offset)) AS distinct,
      count(*) FILTER (WHERE kafka_topic <> ${topics.topic}) AS misplaced
    FROM todo_event_logs`.execute(database.db);
  const counts = rows[0];
  assert.ok(counts);
  assert.equal(Number(counts.misplaced), 0, 'rows from another topic');
  assert.equal(Number(counts.total), Number(counts.distinct), 'some Kafka coordinates are stored twice');
  const perPartition = await database.db
    .selectFrom('todo_event_logs')
    .select((eb) => ['kafka_partition', eb.fn.countAll<string>().as('rows'), eb.fn.max('kafka_offset').as('maxOffset')])
    .groupBy('kafka_partition')
    .execute();
  for (const [partition, end] of ends) {
    const stored = perPartition.find((p) => p.kafka_partition === partition);
    const expected = Number(end);
    assert.equal(Number(stored?.rows ?? 0), expected, `partition ${partition}: rows stored`);
    if (expected > 0) assert.equal(Number(stored?.maxOffset), expected - 1, `partition ${partition}: last offset stored`);
  }
  assert.equal(Number(counts.total), produced);
  return produced;
}
