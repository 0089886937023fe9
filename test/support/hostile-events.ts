import fc from 'fast-check';

/** Kafka timestamps as kafkajs hands them over: -1, any integer text, and a few that are not numbers. */
export const recordTimestamp = fc.oneof(
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
export const eventLike = fc.record(
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

/** Message values: random bytes, any JSON, contract-shaped events with hostile fields, deep nesting, none. */
export const hostileValue = fc.oneof(
  fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes)),
  fc.jsonValue().map((json) => Buffer.from(JSON.stringify(json) ?? 'null')),
  eventLike.map((event) => Buffer.from(JSON.stringify(event))),
  fc.string({ unit: 'binary' }).map((text) => Buffer.from(text)),
  fc.integer({ min: 1, max: 200 }).map((depth) => Buffer.from(`{"payload":{"entity":"Task","entityId":"t","d":${'['.repeat(depth)}${']'.repeat(depth)}},"eventType":"x"}`)),
  fc.constant(null),
);
