import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { defaultEventLimits } from '../../src/events/event-limits.js';
import { EventRejection } from '../../src/events/rejection.js';
import { toEventLogRow, type KafkaRecord, type MappedEvent } from '../../src/events/to-event-log-row.js';
import { hostileValue, recordTimestamp } from '../support/hostile-events.js';

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

const record = fc.record({ value: hostileValue, timestamp: recordTimestamp });

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
