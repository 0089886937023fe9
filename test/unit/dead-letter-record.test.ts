import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KafkaMessage } from 'kafkajs';
import { decodeDeadLetter, NotADeadLetterError } from '../../src/dlq/dead-letter-record.js';
import { matchesFilter } from '../../src/dlq/letter-filter.js';

function letter(headers: Record<string, string>, value = '{"eventType":'): KafkaMessage {
  return {
    key: Buffer.from('group-1'),
    value: Buffer.from(value),
    timestamp: '1764590400000',
    attributes: 0,
    offset: '7',
    headers: Object.fromEntries(Object.entries(headers).map(([name, text]) => [name, Buffer.from(text)])),
  };
}

const ours = {
  'dlq.reason': 'invalid_json',
  'dlq.error': 'Unexpected end of JSON input',
  'dlq.original.topic': 'todo-history-events',
  'dlq.original.partition': '2',
  'dlq.original.offset': '41',
  'dlq.original.timestamp': '1764586800000',
  'dlq.consumer.group': 'todo-consumer-group-go',
  trace: 'abc',
};

describe('decodeDeadLetter', () => {
  it('gives back the original record under its original offset and timestamp, with only the producer headers', () => {
    const record = decodeDeadLetter(0, letter(ours));
    assert.deepEqual(record.original, { topic: 'todo-history-events', partition: 2, offset: '41', timestamp: '1764586800000' });
    assert.deepEqual(record.letter, { partition: 0, offset: '7', timestamp: '1764590400000' });
    assert.equal(record.reason, 'invalid_json');
    assert.equal(record.message.offset, '41');
    assert.equal(record.message.timestamp, '1764586800000');
    assert.equal(record.message.value?.toString(), '{"eventType":');
    assert.deepEqual(Object.keys(record.message.headers ?? {}), ['trace']);
    assert.equal(record.valueTruncated, false);
    assert.equal(decodeDeadLetter(0, letter({ ...ours, 'dlq.value.truncated': 'true' })).valueTruncated, true);
  });

  it('refuses a message without the headers todo-history writes, naming them', () => {
    assert.throws(() => decodeDeadLetter(1, letter({ trace: 'abc' })), (error: unknown) => {
      assert.ok(error instanceof NotADeadLetterError);
      assert.match(error.message, /^message 1\/7 of the dead-letter topic lacks dlq\.reason, dlq\.original\.topic, dlq\.original\.partition, dlq\.original\.offset, dlq\.original\.timestamp/);
      return true;
    });
  });
});

describe('matchesFilter', () => {
  const record = decodeDeadLetter(0, letter(ours));
  const at = new Date(1764586800000);

  it('takes every letter without criteria, and only those every criterion takes', () => {
    assert.equal(matchesFilter(record, {}), true);
    assert.equal(matchesFilter(record, { reasons: ['too_large', 'invalid_json'], partition: 2, offsets: { from: 41n, to: 41n }, since: at, until: new Date(at.getTime() + 1) }), true);
    assert.equal(matchesFilter(record, { reasons: ['too_large'] }), false);
    assert.equal(matchesFilter(record, { partition: 1 }), false);
    assert.equal(matchesFilter(record, { partition: 2, offsets: { from: 42n, to: 99n } }), false);
    assert.equal(matchesFilter(record, { since: new Date(at.getTime() + 1) }), false);
    assert.equal(matchesFilter(record, { until: at }), false, 'until is exclusive');
  });
});
