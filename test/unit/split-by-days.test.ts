import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KafkaMessage } from 'kafkajs';
import { pino } from 'pino';
import { splitByDays } from '../../src/consumer/split-by-days.js';
import { sortBatch, type SortedBatch } from '../../src/consumer/store-batch.js';
import { defaultEventLimits } from '../../src/events/event-limits.js';

function message(offset: number, timestamp: string | undefined): KafkaMessage {
  const value = timestamp === undefined ? '{"eventType": ' : JSON.stringify({ eventType: 'created', timestamp, payload: { entity: 'Task', entityId: `t${offset}` } });
  return { offset: String(offset), key: null, value: Buffer.from(value), timestamp: String(Date.parse('2025-11-10T00:00:00Z')), attributes: 0, headers: {} };
}

function sorted(times: readonly (string | undefined)[]): SortedBatch {
  return sortBatch({ topic: 't', partition: 0, messages: times.map((time, offset) => message(offset, time)) }, defaultEventLimits, pino({ level: 'silent' }));
}

const offsets = (part: SortedBatch) => ({
  messages: part.messages.map((m) => m.offset),
  rows: part.rows.map((r) => r.kafka.offset),
  deadLetters: part.deadLetters.map((d) => d.message.offset),
});

describe('splitByDays', () => {
  it('returns a batch within the limit whole, however many rows share its days', () => {
    const batch = sorted(['2025-11-10T01:00:00Z', '2025-11-10T23:59:59.999999Z', '2025-11-11T00:00:00Z', '2025-11-10T12:00:00Z']);
    assert.deepEqual(splitByDays(batch, 2), [batch]);
  });

  it('starts a part at the row that would bring its part past the limit, keeping dead letters with their neighbours', () => {
    const batch = sorted(['2025-11-10T01:00:00Z', '2025-11-11T01:00:00Z', undefined, '2025-11-10T05:00:00Z', '2025-11-12T00:00:00Z', undefined, '2025-11-13T00:00:00Z']);
    assert.deepEqual(splitByDays(batch, 2).map(offsets), [
      { messages: ['0', '1', '2', '3'], rows: ['0', '1', '3'], deadLetters: ['2'] },
      { messages: ['4', '5', '6'], rows: ['4', '6'], deadLetters: ['5'] },
    ]);
  });

  it('counts days in UTC, as the chunks are cut, whatever offset a time is written with', () => {
    // 2025-11-10T23:30:00-01:00 is 2025-11-11T00:30Z; 1969-12-31T23:59:59.5Z is the day before the epoch.
    const batch = sorted(['2025-11-11T00:30:00+01:00', '2025-11-10T23:30:00-01:00', '2025-11-11T12:00:00Z', '1969-12-31T23:59:59.5Z', '1970-01-01T00:00:00Z']);
    assert.deepEqual(splitByDays(batch, 2).map(offsets).map((part) => part.rows), [['0', '1', '2'], ['3', '4']]);
  });

  it('keeps each row\'s timestamp fallback with it', () => {
    const batch = sorted(['2025-11-10T01:00:00Z', 'not a time', '2025-11-12T00:00:00Z']);
    const parts = splitByDays(batch, 1);
    assert.deepEqual(parts.map((part) => part.fallbacks), [[null, 'record'], [null]]);
  });

  it('cuts 5,000 rows on 5,000 days into parts of at most the limit', () => {
    const times = Array.from({ length: 5_000 }, (_, day) => new Date(Date.UTC(2000, 0, 1) + day * 86_400_000).toISOString());
    const parts = splitByDays(sorted(times), 100);
    assert.equal(parts.length, 50);
    assert.ok(parts.every((part) => part.rows.length === 100));
    assert.deepEqual(parts.flatMap((part) => part.messages.map((m) => Number(m.offset))), times.map((_, offset) => offset));
  });
});
