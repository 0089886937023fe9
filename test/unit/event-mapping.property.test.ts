import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { defaultEventLimits } from '../../src/events/event-limits.js';
import { EventRejection } from '../../src/events/rejection.js';
import { toEventLogRow, type KafkaRecord, type MappedEvent } from '../../src/events/to-event-log-row.js';

const kafka = { topic: 'todo-history-events', partition: 0, offset: '7' };
const runs = { numRuns: 2_000 };

/** A row, or the rejection's code; any other outcome fails the property with the exception itself. */
function outcome(record: KafkaRecord): MappedEvent | string {
  try {
    return toEventLogRow(record, kafka, defaultEventLimits);
  } catch (error) {
    if (error instanceof EventRejection) return error.code;
    throw error;
  }
}

/** Kafka timestamps as kafkajs hands them over: -1, any integer text, and a few that are not numbers. */
const recordTimestamp = fc.oneof(
  fc.constant('-1'),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
  fc.integer({ min: 0, max: 253_402_300_799_999 }).map(String),
  fc.constantFrom('', 'NaN', '1e3', '8640000000000001'),
);

const timestampValue = fc.oneof(
  fc.date({ min: new Date(Date.UTC(1, 0, 1)), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('2025-11-10T15:30:45.123456+15:59', '2025-11-10T15:30:45-23:59', '2025-02-29T00:00:00Z', '0000-01-01T00:00:00Z', ''),
  fc.string(),
  fc.integer(),
  fc.constant(null),
);

/** Events shaped like the contract, with hostile values in every field. */
const eventLike = fc.record(
  {
    eventType: fc.oneof(fc.string({ maxLength: 60 }), fc.jsonValue()),
    timestamp: timestampValue,
    extra: fc.jsonValue(),
    payload: fc.oneof(
      fc.record(
        {
          entity: fc.oneof(fc.constantFrom('Task', 'Group'), fc.string()),
          entityId: fc.oneof(fc.uuid(), fc.string({ maxLength: 120 })),
          groupId: fc.oneof(fc.uuid(), fc.jsonValue()),
          taskName: fc.string({ unit: 'binary', maxLength: 300 }),
          changes: fc.oneof(fc.string({ unit: 'binary' }), fc.jsonValue()),
          timestamp: timestampValue,
          data: fc.jsonValue({ depthSize: 'medium' }),
        },
        { requiredKeys: [] },
      ),
      fc.jsonValue(),
    ),
  },
  { requiredKeys: [] },
);

const value = fc.oneof(
  fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes)),
  fc.jsonValue().map((json) => Buffer.from(JSON.stringify(json) ?? 'null')),
  eventLike.map((event) => Buffer.from(JSON.stringify(event))),
  fc.string({ unit: 'binary' }).map((text) => Buffer.from(text)),
  fc.integer({ min: 1, max: 200 }).map((depth) => Buffer.from(`{"payload":{"entity":"Task","entityId":"t","d":${'['.repeat(depth)}${']'.repeat(depth)}},"eventType":"x"}`)),
  fc.constant(null),
);

const record = fc.record({ value, timestamp: recordTimestamp });

describe('decode and mapping, for any input', () => {
  it('gives a row or a rejection, never another exception', () => {
    fc.assert(fc.property(record, (input) => void outcome(input)), runs);
  });

  it('gives the same row for the same record twice', () => {
    fc.assert(fc.property(record, (input) => assert.deepEqual(outcome(input), outcome(input))), runs);
  });

  it('stores event_data that is valid JSON, and only timestamps PostgreSQL accepts as written', () => {
    fc.assert(
      fc.property(record, (input) => {
        const result = outcome(input);
        if (typeof result === 'string') return;
        if (result.row.eventData !== null) assert.equal(typeof JSON.parse(result.row.eventData), 'object');
        assert.match(result.row.timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-](0\d|1[0-5]):[0-5]\d)$/);
      }),
      runs,
    );
  });

  it('keeps every field without a column in event_data with the same JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (envelopeExtra, payloadExtra) => {
        const event = { eventType: 'created', timestamp: '2025-11-10T15:30:45Z', note: envelopeExtra, payload: { entity: 'Task', entityId: 't1', extra: payloadExtra } };
        const result = outcome({ value: Buffer.from(JSON.stringify(event)), timestamp: '0' });
        if (typeof result === 'string') return;
        const data = JSON.parse(result.row.eventData ?? 'null') as { payload: { extra: unknown }; envelope: { note: unknown } };
        const asSent = JSON.parse(JSON.stringify(event)) as typeof event;
        assert.deepEqual(data.payload.extra, asSent.payload.extra);
        assert.deepEqual(data.envelope.note, asSent.note);
      }),
      runs,
    );
  });
});
