import { columnLimits, type LimitedColumn } from './column-limits.js';
import { decodeMessage, isJsonObject, type JsonObject } from './decode-message.js';
import { EventRejection } from './rejection.js';
import { isRfc3339 } from './rfc3339.js';
import type { KafkaCoordinates, TodoEventLogRow } from './todo-event-log-row.js';

/** What the consumer needs of a Kafka record to make a row of it. */
export interface KafkaRecord {
  value: Buffer | null;
  /** The record's timestamp in epoch milliseconds, as kafkajs gives it. */
  timestamp: string;
}

const envelopeFields = new Set(['eventType', 'timestamp', 'payload']);
const payloadFields = new Set(['entity', 'entityId', 'groupId', 'groupName', 'taskId', 'taskName', 'changes', 'user', 'workspace', 'timestamp']);

function codePointLength(text: string): number {
  let length = 0;
  for (const _ of text) length += 1;
  return length;
}

/** A string field that may be absent: undefined, null and '' all mean "not given". */
function optionalString(source: JsonObject, field: string, path: string): string | null {
  const value = source[field];
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw new EventRejection('wrong_type', `${path} must be a string, got ${typeof value}`);
  return value;
}

function requiredString(source: JsonObject, field: string, path: string): string {
  const value = optionalString(source, field, path);
  if (value === null) throw new EventRejection('missing_field', `${path} is missing or empty`);
  return value;
}

function limited<T extends string | null>(value: T, column: LimitedColumn, path: string): T {
  // Counting code points costs a walk over the string; only a string this long can exceed the limit.
  if (value !== null && value.length > columnLimits[column] && codePointLength(value) > columnLimits[column]) {
    throw new EventRejection('value_too_long', `${path} is longer than ${columnLimits[column]} characters (column ${column})`);
  }
  return value;
}

function optionalTimestamp(source: JsonObject, path: string): string | null {
  const value = optionalString(source, 'timestamp', path);
  if (value !== null && !isRfc3339(value)) {
    throw new EventRejection('invalid_timestamp', `${path} is not an RFC 3339 date-time: ${JSON.stringify(value.slice(0, 64))}`);
  }
  return value;
}

function recordTimestamp(record: KafkaRecord): string {
  const millis = Number(record.timestamp);
  if (!Number.isSafeInteger(millis) || millis < 0) {
    throw new EventRejection('invalid_timestamp', 'neither the event nor the Kafka record carries a timestamp');
  }
  return new Date(millis).toISOString();
}

function extraFields(source: JsonObject, known: Set<string>): JsonObject | undefined {
  const extras = Object.entries(source).filter(([key]) => !known.has(key));
  return extras.length === 0 ? undefined : Object.fromEntries(extras);
}

/** Payload fields with a column that the mapping may fill from elsewhere (entityId, the envelope). */
type OverridableField = 'groupId' | 'taskId' | 'timestamp';

/**
 * Fields that have no column, kept so nothing the producer sent is lost:
 * `{"payload": {...}, "envelope": {...}}`, each part present only when it has fields. A payload field whose
 * column was filled from elsewhere (a Group's groupId from entityId, say) is kept too when it differs.
 */
function eventData(envelope: JsonObject, payload: JsonObject, stored: Record<OverridableField, string | null>): string | null {
  const payloadExtras = extraFields(payload, payloadFields) ?? {};
  for (const field of ['groupId', 'taskId', 'timestamp'] as const) {
    const sent = payload[field];
    if (sent !== undefined && sent !== null && sent !== '' && sent !== stored[field]) payloadExtras[field] = sent;
  }
  const envelopeExtras = extraFields(envelope, envelopeFields);
  const data: JsonObject = {};
  if (Object.keys(payloadExtras).length > 0) data.payload = payloadExtras;
  if (envelopeExtras !== undefined) data.envelope = envelopeExtras;
  return Object.keys(data).length === 0 ? null : JSON.stringify(data);
}

/**
 * Maps one Kafka record to its `todo_event_logs` row, following the Go service's rules
 * (a Group's id is its group_id, a Task's id is its task_id), or rejects it with a reason.
 * Pure: the same record always gives the same row, so a replay stores exactly the same values.
 * @throws EventRejection when the record cannot be stored unaltered.
 */
export function toEventLogRow(record: KafkaRecord, kafka: KafkaCoordinates): TodoEventLogRow {
  const envelope = decodeMessage(record.value);
  const payloadValue = envelope.payload;
  if (payloadValue === undefined || payloadValue === null) throw new EventRejection('missing_field', 'payload is missing');
  if (!isJsonObject(payloadValue)) throw new EventRejection('wrong_type', 'payload must be an object');
  const payload = payloadValue;

  const eventType = limited(requiredString(envelope, 'eventType', 'eventType'), 'event_type', 'eventType');
  const entity = limited(requiredString(payload, 'entity', 'payload.entity'), 'entity', 'payload.entity');
  const entityId = limited(requiredString(payload, 'entityId', 'payload.entityId'), 'entity_id', 'payload.entityId');
  const groupId = entity === 'Group' ? entityId : limited(optionalString(payload, 'groupId', 'payload.groupId'), 'group_id', 'payload.groupId');
  const taskId = entity === 'Task' ? entityId : limited(optionalString(payload, 'taskId', 'payload.taskId'), 'task_id', 'payload.taskId');
  const timestamp =
    optionalTimestamp(envelope, 'timestamp') ?? optionalTimestamp(payload, 'payload.timestamp') ?? recordTimestamp(record);

  return {
    timestamp,
    eventType,
    entity,
    entityId,
    groupId,
    groupName: limited(optionalString(payload, 'groupName', 'payload.groupName'), 'group_name', 'payload.groupName'),
    taskId,
    taskName: limited(optionalString(payload, 'taskName', 'payload.taskName'), 'task_name', 'payload.taskName'),
    changes: optionalString(payload, 'changes', 'payload.changes'),
    userName: limited(optionalString(payload, 'user', 'payload.user'), 'user_name', 'payload.user'),
    workspace: limited(optionalString(payload, 'workspace', 'payload.workspace'), 'workspace', 'payload.workspace'),
    eventData: eventData(envelope, payload, { groupId, taskId, timestamp }),
    kafka,
  };
}
