import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventRejection, type RejectionCode } from '../../src/events/rejection.js';
import { toEventLogRow } from '../../src/events/to-event-log-row.js';

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

function rejectionCode(value: unknown): RejectionCode {
  try {
    toEventLogRow(record(value), kafka);
  } catch (error) {
    assert.ok(error instanceof EventRejection, `expected an EventRejection, got ${String(error)}`);
    return error.code;
  }
  assert.fail('expected the message to be rejected');
}

describe('toEventLogRow', () => {
  it('maps the reference Task event column by column', () => {
    assert.deepEqual(toEventLogRow(record(taskCreated), kafka), {
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
    const row = toEventLogRow(
      record({
        eventType: 'created',
        timestamp: '2025-11-10T10:00:00Z',
        payload: { entity: 'Group', entityId: 'group-uuid-1', groupName: 'Project Alpha', taskId: null, taskName: null, changes: 'made', user: 'alice', workspace: 'default' },
      }),
      kafka,
    );
    assert.equal(row.groupId, 'group-uuid-1');
    assert.equal(row.taskId, null);
    assert.equal(row.taskName, null);
  });

  it('takes a Task event\'s task_id from entityId even when payload.taskId differs, and keeps the sent one', () => {
    const row = toEventLogRow(record({ ...taskCreated, payload: { ...taskCreated.payload, taskId: 'other' } }), kafka);
    assert.equal(row.taskId, taskCreated.payload.entityId);
    assert.deepEqual(JSON.parse(row.eventData ?? 'null'), { payload: { taskId: 'other' } });
  });

  it('stores missing and empty optional fields as null, never as empty strings', () => {
    const row = toEventLogRow(
      record({ eventType: 'deleted', timestamp: '2025-11-10T10:00:00Z', payload: { entity: 'Task', entityId: 't1', groupId: '', changes: '', user: null } }),
      kafka,
    );
    assert.deepEqual(
      [row.groupId, row.groupName, row.taskName, row.changes, row.userName, row.workspace, row.eventData],
      [null, null, null, null, null, null, null],
    );
  });

  it('uses payload.timestamp when the event has none, then the Kafka record timestamp, never the clock', () => {
    const { timestamp: _top, ...withoutTop } = taskCreated;
    assert.equal(toEventLogRow(record({ ...withoutTop, payload: { ...taskCreated.payload, timestamp: '2025-11-10T16:00:00+01:00' } }), kafka).timestamp, '2025-11-10T16:00:00+01:00');
    const { timestamp: _inner, ...payloadWithout } = taskCreated.payload;
    assert.equal(toEventLogRow(record({ ...withoutTop, payload: payloadWithout }), kafka).timestamp, '2025-11-10T09:00:00.000Z');
  });

  it('keeps microseconds by passing the timestamp text through', () => {
    assert.equal(toEventLogRow(record({ ...taskCreated, timestamp: '2025-11-10T15:30:45.123456Z' }), kafka).timestamp, '2025-11-10T15:30:45.123456Z');
  });

  it('keeps fields without a column in event_data, payload and envelope apart', () => {
    const row = toEventLogRow(
      record({ ...taskCreated, source: 'api', payload: { ...taskCreated.payload, priority: 'high', labels: ['a'] } }),
      kafka,
    );
    assert.deepEqual(JSON.parse(row.eventData ?? 'null'), { payload: { priority: 'high', labels: ['a'] }, envelope: { source: 'api' } });
  });

  it('keeps a payload.timestamp that differs from the stored one', () => {
    const row = toEventLogRow(record({ ...taskCreated, payload: { ...taskCreated.payload, timestamp: '2025-11-10T15:30:46Z' } }), kafka);
    assert.deepEqual(JSON.parse(row.eventData ?? 'null'), { payload: { timestamp: '2025-11-10T15:30:46Z' } });
  });

  it('counts length in characters, as varchar does, not in UTF-16 units', () => {
    const fiftyEmoji = '😀'.repeat(50);
    assert.equal(toEventLogRow(record({ ...taskCreated, eventType: fiftyEmoji }), kafka).eventType, fiftyEmoji);
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
    ['a timestamp that is not RFC 3339', { ...taskCreated, timestamp: '10/11/2025 15:30' }, 'invalid_timestamp'],
    ['a timestamp on a day that does not exist', { ...taskCreated, timestamp: '2025-02-30T10:00:00Z' }, 'invalid_timestamp'],
    ['a numeric timestamp', { ...taskCreated, timestamp: 1731252645 }, 'wrong_type'],
  ];
  for (const [what, value, code] of rejections) {
    it(`rejects ${what} as ${code}`, () => assert.equal(rejectionCode(value), code));
  }

  it('rejects bytes that are not UTF-8 rather than storing replacement characters', () => {
    const bytes = Buffer.concat([Buffer.from('{"eventType":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    assert.throws(() => toEventLogRow({ value: bytes, timestamp: recordTime }, kafka), { code: 'invalid_json' });
  });

  it('rejects a record with no timestamp anywhere', () => {
    const { timestamp: _top, ...withoutTop } = taskCreated;
    const { timestamp: _inner, ...payloadWithout } = taskCreated.payload;
    assert.throws(() => toEventLogRow(record({ ...withoutTop, payload: payloadWithout }, '-1'), kafka), { code: 'invalid_timestamp' });
  });
});
