import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KafkaMessage } from 'kafkajs';
import { pino } from 'pino';
import { EveryRowRefusedError } from '../../src/db/database-error.js';
import { storeBatch, type BatchSinks } from '../../src/consumer/store-batch.js';
import { defaultEventLimits } from '../../src/events/event-limits.js';
import type { DeadLetter } from '../../src/kafka/dead-letter-publisher.js';
import { todoEvents } from '../support/todo-event-stream.js';

const logger = pino({ level: 'silent' });

function messages(count: number): KafkaMessage[] {
  return todoEvents(0, count).map((message, index) => ({
    key: Buffer.from(String(message.key)),
    value: Buffer.from(String(message.value)),
    headers: {},
    timestamp: String(Date.UTC(2025, 10, 10)),
    attributes: 0,
    offset: String(index),
  }));
}

/** A database stand-in that refuses the rows at the given offsets with `sqlState`, as PostgreSQL reports it. */
function refusing(sqlState: string, offsets: readonly string[]): { sinks: BatchSinks; letters: DeadLetter[] } {
  const letters: DeadLetter[] = [];
  const sinks: BatchSinks = {
    writeRows: (rows) => {
      if (rows.some((row) => offsets.includes(row.kafka.offset))) return Promise.reject(Object.assign(new Error(`refused (${sqlState})`), { code: sqlState }));
      return Promise.resolve({ inserted: rows.length, duplicates: 0 });
    },
    publishDeadLetters: (batch) => {
      letters.push(...batch);
      return Promise.resolve();
    },
  };
  return { sinks, letters };
}

describe('storeBatch with rows PostgreSQL refuses', () => {
  it('dead-letters a row refused for its value alone, even when it is the whole batch', async () => {
    const { sinks, letters } = refusing('22008', ['0']);
    const outcome = await storeBatch({ topic: 't', partition: 0, messages: messages(1) }, sinks, defaultEventLimits, logger);
    assert.equal(outcome.inserted, 0);
    assert.deepEqual(letters.map((letter) => [letter.message.offset, letter.code]), [['0', 'database_rejected']]);
  });

  it('retries a batch whose every row the table refuses', async () => {
    const { sinks, letters } = refusing('23514', ['0', '1', '2']);
    await assert.rejects(storeBatch({ topic: 't', partition: 0, messages: messages(3) }, sinks, defaultEventLimits, logger), EveryRowRefusedError);
    assert.equal(letters.length, 0);
  });

  it('dead-letters a row the table refuses when it shares the batch with a stored one', async () => {
    const { sinks, letters } = refusing('23514', ['1']);
    const outcome = await storeBatch({ topic: 't', partition: 0, messages: messages(3) }, sinks, defaultEventLimits, logger);
    assert.equal(outcome.inserted, 2);
    assert.deepEqual(letters.map((letter) => letter.message.offset), ['1']);
  });
});
