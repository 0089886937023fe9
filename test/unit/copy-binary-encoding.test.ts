import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeEventLogRows } from '../../src/db/copy-binary-encoding.js';
import { CopyEncodingError } from '../../src/db/copy-encoding-error.js';
import type { TodoEventLogRow } from '../../src/events/todo-event-log-row.js';

const row: TodoEventLogRow = {
  timestamp: '2000-01-01T00:00:01.5Z',
  eventType: 'a',
  entity: 'T',
  entityId: 'é',
  groupId: null,
  groupName: '',
  taskId: null,
  taskName: null,
  changes: null,
  userName: null,
  workspace: '😀',
  eventData: '{}',
  kafka: { topic: 't', partition: 1, offset: '9223372036854775807' },
};

function int32(value: number): number[] {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32BE(value);
  return [...bytes];
}

const nullField = int32(-1);

function encodingState(changed: Partial<TodoEventLogRow>): string | undefined {
  try {
    encodeEventLogRows([row, { ...row, ...changed }]);
    return undefined;
  } catch (error) {
    assert.ok(error instanceof CopyEncodingError);
    return `${error.code} ${error.column}`;
  }
}

describe('encodeEventLogRows', () => {
  it('writes the binary COPY header, one tuple of fifteen fields, and the trailer', () => {
    const expected = Buffer.from([
      ...Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), ...int32(0), ...int32(0),
      0, 15,
      ...int32(8), 0, 0, 0, 0, 0, 0x16, 0xe3, 0x60, // timestamp: 1,500,000 µs after 2000-01-01
      ...int32(1), 0x61, // event_type 'a'
      ...int32(1), 0x54, // entity 'T'
      ...int32(2), 0xc3, 0xa9, // entity_id 'é' in UTF-8
      ...nullField, // group_id
      ...int32(0), // group_name '' stays an empty string, not NULL
      ...nullField, ...nullField, ...nullField, ...nullField, // task_id, task_name, changes, user_name
      ...int32(4), 0xf0, 0x9f, 0x98, 0x80, // workspace: one astral code point, four bytes
      ...int32(3), 1, 0x7b, 0x7d, // event_data: jsonb version 1, then '{}'
      ...int32(1), 0x74, // kafka_topic 't'
      ...int32(4), ...int32(1), // kafka_partition
      ...int32(8), 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // kafka_offset 2^63 - 1
      0xff, 0xff,
    ]);
    assert.deepEqual(encodeEventLogRows([row]), expected);
  });

  it('writes NULL event_data as length -1, without the jsonb version byte', () => {
    const withData = encodeEventLogRows([row]);
    const without = encodeEventLogRows([{ ...row, eventData: null }]);
    assert.equal(withData.length - without.length, 3 + 4 - 4);
    assert.equal(without.indexOf(Buffer.from([...nullField, ...int32(1), 0x74])) > 0, true);
  });

  it('writes an empty batch as header and trailer only', () => {
    assert.equal(encodeEventLogRows([]).length, 19 + 2);
  });

  it('refuses a value binary COPY cannot carry, naming its column and the SQLSTATE PostgreSQL would give', () => {
    assert.equal(encodingState({ timestamp: '2025-11-10' }), '22007 timestamp');
    assert.equal(encodingState({ timestamp: '2025-02-30T00:00:00Z' }), '22008 timestamp');
    assert.equal(encodingState({ kafka: { topic: 't', partition: 2 ** 31, offset: '0' } }), '22003 kafka_partition');
    assert.equal(encodingState({ kafka: { topic: 't', partition: 0, offset: '9223372036854775808' } }), '22003 kafka_offset');
    assert.equal(encodingState({ kafka: { topic: 't', partition: 0, offset: '0x10' } }), '22P02 kafka_offset');
    assert.equal(encodingState({ taskName: 'half \ud83d pair' }), '22021 task_name');
    assert.equal(encodingState({ eventData: '{"a":"\udc00"}' }), '22021 event_data');
  });
});
