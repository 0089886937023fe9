import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventRejection, type RejectionCode } from '../../src/events/rejection.js';
import { defaultEventLimits } from '../../src/events/event-limits.js';
import { toEventLogRow, type KafkaRecord, type MappedEvent } from '../../src/events/to-event-log-row.js';
import type { TodoEventLogRow } from '../../src/events/todo-event-log-row.js';

const kafka = { topic: 'todo-history-events', partition: 2, offset: '41' };
const recordTime = String(Date.parse('2025-11-10T09:00:00.000Z'));

function record(value: unknown, timestamp = recordTime) {
  return { value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)), timestamp };
}

const taskCreated = {
  eventType: 'created',
  timestamp: '2025-11-10T15:30:45.123Z',
  payload: {
    entity: 'Task',
    entityId: 'f47ac10b-58cc-4372-a567-0e02b2c3d479',
    groupId: 'a1b2c3d4-e5f6-4789-a0b1-c2d3e4f56789',
    groupName: 'Project Alpha',
    taskId: 'f47ac10b-58cc-4372-a567-0e02b2c3d479',
    taskName: 'Implement user authentication',
    changes: "Task 'Implement user authentication' was created",
    user: 'john_doe',
    workspace: 'default',
    timestamp: '2025-11-10T15:30:45.123Z',
  },
};

function mapped(source: KafkaRecord): MappedEvent {
  return toEventLogRow(source, kafka, defaultEventLimits);
}

function rowOf(source: KafkaRecord): TodoEventLogRow {
  return mapped(source).row;
}

function rejectionCode(value: unknown): RejectionCode {
  try {
    mapped(record(value));
  } catch (error) {
    assert.ok(error instanceof EventRejection, `expected an EventRejection, got ${String(error)}`);
    return error.code;
  }
  assert.fail('expected the message to be rejected');
}

describe('toEventLogRow', () => {
  it('maps the reference Task event column by column', () => {
    assert.deepEqual(rowOf(record(taskCreated)), {
      timestamp: '2025-11-10T15:30:45.123Z',
      eventType: 'created',
      entity: 'Task',
      entityId: 'f47ac10b-58cc-4372-a567-0e02b2c3d479',
      groupId: 'a1b2c3d4-e5f6-4789-a0b1-c2d3e4f56789',
      groupName: 'Project Alpha',
      taskId: 'f47ac10b-58cc-4372-a567-0e02b2c3d479',
      taskName: 'Implement user authentication',
      changes: "Task 'Implement user authentication' was created",
      userName: 'john_doe',
      workspace: 'default',
      eventData: null,
      kafka,
    });
  });

  it('takes a Group event\'s group_id from entityId and keeps null task fields null', () => {
    const row = rowOf(
      record({
        eventType: 'created',
        timestamp: '2025-11-10T10:00:00Z',
        payload: { entity: 'Group', entityId: 'group-uuid-1', groupName: 'Project Alpha', taskId: null, taskName: null, changes: 'made', user: 'alice', workspace: 'default' },
      }),
    );
    assert.equal(row.groupId, 'group-uuid-1');
    assert.equal(row.taskId, null);
    assert.equal(row.taskName, null);
  });

  it('takes a Task event\'s task_id from entityId even when payload.taskId differs, and keeps the sent one', () => {
    const row = rowOf(record({ ...taskCreated, payload: { ...taskCreated.payload, taskId: 'other' } }));
    assert.equal(row.taskId, taskCreated.payload.entityId);
    assert.deepEqual(JSON.parse(row.eventData ?? 'null'), { payload: { taskId: 'other' } });
  });

  it('stores missing and empty optional fields as null, never as empty strings', () => {
    const row = rowOf(
      record({ eventType: 'deleted', timestamp: '2025-11-10T10:00:00Z', payload: { entity: 'Task', entityId: 't1', groupId: '', changes: '', user: null } }),
    );
    assert.deepEqual(
      [row.groupId, row.groupName, row.taskName, row.changes, row.userName, row.workspace, row.eventData],
      [null, null, null, null, null, null, null],
    );
  });

  it('uses payload.timestamp when the event has none, then the Kafka record timestamp, never the clock', () => {
    const { timestamp: _top, ...withoutTop } = taskCreated;
    assert.equal(rowOf(record({ ...withoutTop, payload: { ...taskCreated.payload, timestamp: '2025-11-10T16:00:00+01:00' } })).timestamp, '2025-11-10T16:00:00+01:00');
    const { timestamp: _inner, ...payloadWithout } = taskCreated.payload;
    assert.equal(rowOf(record({ ...withoutTop, payload: payloadWithout })).timestamp, '2025-11-10T09:00:00.000Z');
  });

  it('keeps microseconds by passing the timestamp text through', () => {
    assert.equal(rowOf(record({ ...taskCreated, timestamp: '2025-11-10T15:30:45.123456Z' })).timestamp, '2025-11-10T15:30:45.123456Z');
  });

  it('keeps fields without a column in event_data, payload and envelope apart', () => {
    const row = rowOf(
      record({ ...taskCreated, source: 'api', payload: { ...taskCreated.payload, priority: 'high', labels: ['a'] } }),
    );
    assert.deepEqual(JSON.parse(row.eventData ?? 'null'), { payload: { priority: 'high', labels: ['a'] }, envelope: { source: 'api' } });
  });

  it('keeps a payload.timestamp that differs from the stored one', () => {
    const row = rowOf(record({ ...taskCreated, payload: { ...taskCreated.payload, timestamp: '2025-11-10T15:30:46Z' } }));
    assert.deepEqual(JSON.parse(row.eventData ?? 'null'), { payload: { timestamp: '2025-11-10T15:30:46Z' } });
  });

  it('counts length in characters, as varchar does, not in UTF-16 units', () => {
    const fiftyEmoji = '😀'.repeat(50);
    assert.equal(rowOf(record({ ...taskCreated, eventType: fiftyEmoji })).eventType, fiftyEmoji);
    assert.equal(rejectionCode({ ...taskCreated, eventType: `${fiftyEmoji}x` }), 'value_too_long');
  });

  const rejections: [string, unknown, RejectionCode][] = [
    ['not JSON', '{"eventType": ', 'invalid_json'],
    ['an empty value', '', 'invalid_json'],
    ['a JSON array', [taskCreated], 'not_an_object'],
    ['a JSON string', 'created', 'invalid_json'],
    ['JSON null', null, 'not_an_object'],
    ['no eventType', { ...taskCreated, eventType: undefined }, 'missing_field'],
    ['an empty eventType', { ...taskCreated, eventType: '' }, 'missing_field'],
    ['no payload', { eventType: 'created' }, 'missing_field'],
    ['no entity', { ...taskCreated, payload: { ...taskCreated.payload, entity: undefined } }, 'missing_field'],
    ['no entityId', { ...taskCreated, payload: { ...taskCreated.payload, entityId: null } }, 'missing_field'],
    ['a numeric eventType', { ...taskCreated, eventType: 7 }, 'wrong_type'],
    ['a payload that is a string', { ...taskCreated, payload: 'x' }, 'wrong_type'],
    ['a numeric groupId', { ...taskCreated, payload: { ...taskCreated.payload, groupId: 42 } }, 'wrong_type'],
    ['an object as user', { ...taskCreated, payload: { ...taskCreated.payload, user: { name: 'x' } } }, 'wrong_type'],
    ['a group name over 255 characters', { ...taskCreated, payload: { ...taskCreated.payload, groupName: 'g'.repeat(256) } }, 'value_too_long'],
    ['an entityId over 100 characters', { ...taskCreated, payload: { ...taskCreated.payload, entityId: 'e'.repeat(101) } }, 'value_too_long'],
    ['a NUL in changes', { ...taskCreated, payload: { ...taskCreated.payload, changes: 'a\u0000b' } }, 'nul_character'],
    ['a NUL in an extra field', { ...taskCreated, payload: { ...taskCreated.payload, note: ['\u0000'] } }, 'nul_character'],
    ['a lone surrogate', { ...taskCreated, payload: { ...taskCreated.payload, changes: '\ud800' } }, 'invalid_json'],
    ['JSON nested deeper than the limit', { ...taskCreated, payload: { ...taskCreated.payload, tree: JSON.parse(`${'['.repeat(64)}${']'.repeat(64)}`) } }, 'too_deep'],
    ['a number beyond numeric\'s range', `{"eventType":"x","payload":{"entity":"Task","entityId":"t","big":1e200000}}`, 'number_out_of_range'],
    ['a number with more decimals than numeric holds', `{"eventType":"x","payload":{"entity":"Task","entityId":"t","tiny":1e-17000}}`, 'number_out_of_range'],
  ];
  for (const [what, value, code] of rejections) {
    it(`rejects ${what} as ${code}`, () => assert.equal(rejectionCode(value), code));
  }

  it('rejects bytes that are not UTF-8 rather than storing replacement characters', () => {
    const bytes = Buffer.concat([Buffer.from('{"eventType":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    assert.throws(() => rowOf({ value: bytes, timestamp: recordTime }), { code: 'invalid_json' });
  });

  it('rejects a record with no timestamp anywhere', () => {
    const { timestamp: _top, ...withoutTop } = taskCreated;
    const { timestamp: _inner, ...payloadWithout } = taskCreated.payload;
    assert.throws(() => rowOf(record({ ...withoutTop, payload: payloadWithout }, '-1')), { code: 'invalid_timestamp' });
  });

  it('rejects a value over the size limit before parsing it', () => {
    const value = Buffer.from(JSON.stringify({ ...taskCreated, payload: { ...taskCreated.payload, blob: 'x'.repeat(2_000) } }));
    assert.throws(() => toEventLogRow({ value, timestamp: recordTime }, kafka, { ...defaultEventLimits, maxBytes: 1_024 }), { code: 'too_large' });
  });

  it('rejects JSON nested 6,000 deep without exhausting the stack', () => {
    const deep = `{"eventType":"x","payload":{"entity":"Task","entityId":"t","deep":${'{"a":'.repeat(6_000)}1${'}'.repeat(6_000)}}}`;
    assert.equal(rejectionCode(deep), 'too_deep');
  });

  it('keeps every number in event_data exactly as the producer wrote it', () => {
    const text = `{"eventType":"created","timestamp":"2025-11-10T15:30:45Z","n":[1.50,-0.0],"payload":{"entity":"Task","entityId":"t1","snowflake":1234567890123456789,"big":1e400,"price":19.90}}`;
    assert.equal(rowOf(record(text)).eventData, '{"payload":{"snowflake":1234567890123456789,"big":1e400,"price":19.90},"envelope":{"n":[1.50,-0.0]}}');
  });

  const fallbacks: [string, unknown, string][] = [
    ['not RFC 3339', '10/11/2025 15:30', 'payload'],
    ['a day that does not exist', '2025-02-30T10:00:00Z', 'payload'],
    ['an offset PostgreSQL refuses', '2025-11-10T10:00:00+16:00', 'payload'],
    ['a number', 1731252645, 'payload'],
  ];
  for (const [what, timestamp] of fallbacks) {
    it(`falls back to payload.timestamp when timestamp is ${what}, keeping the rejected value in event_data`, () => {
      const result = mapped(record({ ...taskCreated, timestamp }));
      assert.equal(result.row.timestamp, taskCreated.payload.timestamp);
      assert.equal(result.timestampFallback, 'payload');
      assert.deepEqual(JSON.parse(result.row.eventData ?? 'null'), { envelope: { timestamp } });
    });
  }

  it('falls back to the record timestamp when both event timestamps are invalid, and keeps both', () => {
    const result = mapped(record({ ...taskCreated, timestamp: 'soon', payload: { ...taskCreated.payload, timestamp: 'later' } }));
    assert.equal(result.row.timestamp, '2025-11-10T09:00:00.000Z');
    assert.equal(result.timestampFallback, 'record');
    assert.deepEqual(JSON.parse(result.row.eventData ?? 'null'), { payload: { timestamp: 'later' }, envelope: { timestamp: 'soon' } });
  });

  describe('with EVENT_MAX_TIME_SKEW_DAYS', () => {
    const withSkew = (source: KafkaRecord, maxTimeSkewDays: number): MappedEvent => toEventLogRow(source, kafka, { ...defaultEventLimits, maxTimeSkewDays });
    const at = (timestamp: string, payloadTimestamp = timestamp) => record({ ...taskCreated, timestamp, payload: { ...taskCreated.payload, timestamp: payloadTimestamp } });

    it('0, the default, keeps an event time however far from the record\'s', () => {
      const result = mapped(at('1971-01-01T00:00:00Z'));
      assert.equal(result.row.timestamp, '1971-01-01T00:00:00Z');
      assert.equal(result.timestampFallback, null);
    });

    it('keeps a time exactly the limit away, on either side, to the microsecond', () => {
      for (const time of ['2026-11-10T09:00:00Z', '2024-11-10T09:00:00.000000Z', '2026-11-10T10:00:00+01:00']) {
        assert.equal(withSkew(at(time), 365).row.timestamp, time);
      }
      assert.equal(withSkew(at('2026-11-10T09:00:00.000001Z', '2025-11-10T10:00:00Z'), 365).row.timestamp, '2025-11-10T10:00:00Z');
    });

    it('passes over a time further away like an invalid one: the payload\'s, then the record\'s, keeping what it passed over', () => {
      const toPayload = withSkew(at('2099-01-01T00:00:00Z', '2025-11-10T15:30:45.123Z'), 365);
      assert.equal(toPayload.row.timestamp, '2025-11-10T15:30:45.123Z');
      assert.equal(toPayload.timestampFallback, 'payload');
      assert.deepEqual(JSON.parse(toPayload.row.eventData ?? 'null'), { envelope: { timestamp: '2099-01-01T00:00:00Z' } });
      const toRecord = withSkew(at('1970-01-02T00:00:00Z', '2099-01-01T00:00:00Z'), 365);
      assert.equal(toRecord.row.timestamp, '2025-11-10T09:00:00.000Z');
      assert.equal(toRecord.timestampFallback, 'record');
      assert.deepEqual(JSON.parse(toRecord.row.eventData ?? 'null'), { payload: { timestamp: '2099-01-01T00:00:00Z' }, envelope: { timestamp: '1970-01-02T00:00:00Z' } });
    });

    it('keeps the event time when the record has no time to measure from', () => {
      assert.equal(withSkew(record({ ...taskCreated, timestamp: '1990-01-01T00:00:00Z' }, '-1'), 1).row.timestamp, '1990-01-01T00:00:00Z');
    });
  });

  it('counts no fallback when the event simply has no timestamp', () => {
    const { timestamp: _top, ...withoutTop } = taskCreated;
    assert.equal(mapped(record(withoutTop)).timestampFallback, null);
  });

  it('rejects a record whose only time is past year 9999 or beyond what a Date holds', () => {
    const { timestamp: _top, ...withoutTop } = taskCreated;
    const { timestamp: _inner, ...payloadWithout } = taskCreated.payload;
    for (const millis of ['253402300800000', '8640000000000001', String(2 ** 53 - 1)]) {
      assert.throws(() => rowOf(record({ ...withoutTop, payload: payloadWithout }, millis)), { code: 'invalid_timestamp' }, millis);
    }
  });
});
