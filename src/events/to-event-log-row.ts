import { columnLimits, type LimitedColumn } from './column-limits.js';
import { decodeMessage, isJsonObject, type DecodedEvent, type JsonObject } from './decode-message.js';
import type { EventLimits } from './event-limits.js';
import { chooseEventTime, type TimestampSource } from './event-time.js';
import { EventRejection } from './rejection.js';
import type { RawMembers } from './scan-json.js';
import type { KafkaCoordinates, TodoEventLogRow } from './todo-event-log-row.js';

/** What the consumer needs of a Kafka record to make a row of it. */
export interface KafkaRecord {
  value: Buffer | null;
  /** The record's timestamp in epoch milliseconds, as kafkajs gives it. */
  timestamp: string;
}

/** A record mapped to its row; `timestampFallback` names the source used when a given timestamp was invalid. */
export interface MappedEvent {
  row: TodoEventLogRow;
  timestampFallback: TimestampSource | null;
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

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  return JSON.stringify(value)?.slice(0, 64) ?? typeof value;
}

function isGiven(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

/** Whether a member must go to `event_data`: it has no column, or its column holds another value. */
function isExtra(key: string, known: Set<string>, parsed: JsonObject, stored: Record<string, string | null>): boolean {
  return !known.has(key) || (key in stored && isGiven(parsed[key]) && parsed[key] !== stored[key]);
}

/** Whether any member of `parsed` goes to `event_data`; a loop, not Object.keys(): this runs for every event. */
function anyExtra(parsed: JsonObject, known: Set<string>, stored: Record<string, string | null>): boolean {
  for (const key in parsed) {
    if (isExtra(key, known, parsed, stored)) return true;
  }
  return false;
}

/** The members of an object that go to `event_data`, as `"key":raw` texts. */
function extras(raw: RawMembers | undefined, known: Set<string>, parsed: JsonObject, stored: Record<string, string | null>): string[] {
  const kept: string[] = [];
  if (raw === undefined) return kept;
  for (const key of raw.keys()) {
    if (isExtra(key, known, parsed, stored)) kept.push(`${JSON.stringify(key)}:${raw.rawValue(key) ?? 'null'}`);
  }
  return kept;
}

/**
 * Fields that have no column, kept so nothing the producer sent is lost:
 * `{"payload": {...}, "envelope": {...}}`, each part present only when it has fields. A field whose column
 * was filled from elsewhere (a Group's groupId from entityId, an invalid timestamp passed over) is kept
 * too. Built from the producer's own text, so numbers keep every digit.
 */
function eventData(
  decoded: DecodedEvent,
  payload: JsonObject,
  stored: { groupId: string | null; taskId: string | null; timestamp: string },
): string | null {
  const envelope = decoded.value;
  const envelopeStored = { timestamp: stored.timestamp };
  if (!anyExtra(payload, payloadFields, stored) && !anyExtra(envelope, envelopeFields, envelopeStored)) return null;
  const members = decoded.members();
  const payloadExtras = extras(members.payload, payloadFields, payload, stored);
  const envelopeExtras = extras(members.envelope, envelopeFields, envelope, envelopeStored);
  const parts: string[] = [];
  if (payloadExtras.length > 0) parts.push(`"payload":{${payloadExtras.join(',')}}`);
  if (envelopeExtras.length > 0) parts.push(`"envelope":{${envelopeExtras.join(',')}}`);
  return `{${parts.join(',')}}`;
}

/**
 * Maps one Kafka record to its `todo_event_logs` row, following the Go service's rules
 * (a Group's id is its group_id, a Task's id is its task_id), or rejects it with a reason.
 * Pure: the same record always gives the same row, so a replay stores exactly the same values.
 * @throws EventRejection when the record cannot be stored unaltered.
 */
export function toEventLogRow(record: KafkaRecord, kafka: KafkaCoordinates, limits: EventLimits): MappedEvent {
  const decoded = decodeMessage(record.value, limits);
  const envelope = decoded.value;
  const payloadValue = envelope.payload;
  if (payloadValue === undefined || payloadValue === null) throw new EventRejection('missing_field', 'payload is missing');
  if (!isJsonObject(payloadValue)) throw new EventRejection('wrong_type', 'payload must be an object');
  const payload = payloadValue;

  const eventType = limited(requiredString(envelope, 'eventType', 'eventType'), 'event_type', 'eventType');
  const entity = limited(requiredString(payload, 'entity', 'payload.entity'), 'entity', 'payload.entity');
  const entityId = limited(requiredString(payload, 'entityId', 'payload.entityId'), 'entity_id', 'payload.entityId');
  const groupId = entity === 'Group' ? entityId : limited(optionalString(payload, 'groupId', 'payload.groupId'), 'group_id', 'payload.groupId');
  const taskId = entity === 'Task' ? entityId : limited(optionalString(payload, 'taskId', 'payload.taskId'), 'task_id', 'payload.taskId');
  const time = chooseEventTime(envelope.timestamp, payload.timestamp, record.timestamp, limits.maxTimeSkewDays);
  if (time === null) {
    throw new EventRejection(
      'invalid_timestamp',
      `no valid timestamp: timestamp ${describe(envelope.timestamp)}, payload.timestamp ${describe(payload.timestamp)}, record ${record.timestamp}`,
    );
  }
  const { timestamp } = time;

  const row: TodoEventLogRow = {
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
    eventData: eventData(decoded, payload, { groupId, taskId, timestamp }),
    kafka,
  };
  return { row, timestampFallback: time.fellBack ? time.source : null };
}
