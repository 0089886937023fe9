import type { TodoEventLogRow } from '../events/todo-event-log-row.js';
import { CopyEncodingError } from './copy-encoding-error.js';
import { timestamptzMicros } from './timestamptz-micros.js';

/** The columns binary COPY writes, in the order every tuple carries them. */
export const eventLogCopyColumns = [
  'timestamp', 'event_type', 'entity', 'entity_id', 'group_id', 'group_name', 'task_id', 'task_name',
  'changes', 'user_name', 'workspace', 'event_data', 'kafka_topic', 'kafka_partition', 'kafka_offset',
] as const;

/** "PGCOPY\n\377\r\n\0", then flags (0: no OIDs) and the header extension's length (0). */
const header = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
const trailerBytes = 2;
const nullLength = -1;
const jsonbVersion = 1;
/** The field count, and each field's length word. */
const tupleOverhead = 2 + eventLogCopyColumns.length * 4;
/** timestamptz (int64), kafka_partition (int4), kafka_offset (int8). */
const fixedFieldBytes = 8 + 4 + 8;
const int8Min = -(2n ** 63n);
const int8Max = 2n ** 63n - 1n;
const decimalInteger = /^[+-]?\d+$/;

type TextColumn = (row: TodoEventLogRow) => string | null;

/** The text columns between timestamp and event_data, in column order. */
const textColumns: readonly [string, TextColumn][] = [
  ['event_type', (r) => r.eventType],
  ['entity', (r) => r.entity],
  ['entity_id', (r) => r.entityId],
  ['group_id', (r) => r.groupId],
  ['group_name', (r) => r.groupName],
  ['task_id', (r) => r.taskId],
  ['task_name', (r) => r.taskName],
  ['changes', (r) => r.changes],
  ['user_name', (r) => r.userName],
  ['workspace', (r) => r.workspace],
];

function checkedText(column: string, value: string | null): string | null {
  // Buffer would write U+FFFD for an unpaired surrogate: the row would be stored altered.
  if (value !== null && !value.isWellFormed()) throw new CopyEncodingError('22021', column, 'holds an unpaired UTF-16 surrogate, which UTF-8 cannot encode');
  return value;
}

function textBytes(value: string | null): number {
  return value === null ? 0 : Buffer.byteLength(value, 'utf8');
}

function partition(value: number): number {
  if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) throw new CopyEncodingError('22003', 'kafka_partition', `${value} is not a 32-bit integer`);
  return value;
}

function offset(text: string): bigint {
  if (!decimalInteger.test(text)) throw new CopyEncodingError('22P02', 'kafka_offset', `${JSON.stringify(text.slice(0, 40))} is not a decimal integer`);
  const value = BigInt(text);
  if (value < int8Min || value > int8Max) throw new CopyEncodingError('22003', 'kafka_offset', `${text} is out of range for a 64-bit integer`);
  return value;
}

/** A tuple's values, checked and converted, with the bytes its strings take. */
interface EncodableRow {
  micros: bigint;
  texts: (string | null)[];
  eventData: string | null;
  topic: string;
  partition: number;
  offset: bigint;
  bytes: number;
}

function encodable(row: TodoEventLogRow): EncodableRow {
  const texts = textColumns.map(([column, pick]) => checkedText(column, pick(row)));
  const eventData = checkedText('event_data', row.eventData);
  const topic = checkedText('kafka_topic', row.kafka.topic) ?? '';
  let bytes = tupleOverhead + fixedFieldBytes + (eventData === null ? 0 : 1 + textBytes(eventData)) + textBytes(topic);
  for (const text of texts) bytes += textBytes(text);
  return { micros: timestamptzMicros(row.timestamp), texts, eventData, topic, partition: partition(row.kafka.partition), offset: offset(row.kafka.offset), bytes };
}

class TupleWriter {
  position = header.length;

  constructor(readonly buffer: Buffer) {
    header.copy(buffer, 0);
  }

  int16(value: number): void {
    this.position = this.buffer.writeInt16BE(value, this.position);
  }

  int32(value: number): void {
    this.position = this.buffer.writeInt32BE(value, this.position);
  }

  int64(value: bigint): void {
    this.int32(8);
    this.position = this.buffer.writeBigInt64BE(value, this.position);
  }

  /** A text field: its length, then its UTF-8 bytes; `prefix` is jsonb's version byte. */
  text(value: string | null, prefix?: number): void {
    if (value === null) {
      this.int32(nullLength);
      return;
    }
    const lengthAt = this.position;
    this.position += 4;
    if (prefix !== undefined) this.position = this.buffer.writeUInt8(prefix, this.position);
    this.position += this.buffer.write(value, this.position, 'utf8');
    this.buffer.writeInt32BE(this.position - lengthAt - 4, lengthAt);
  }
}

/**
 * The rows in PostgreSQL's binary COPY format (the COPY reference, "Binary Format"), for
 * `COPY todo_event_logs (eventLogCopyColumns) FROM STDIN (FORMAT binary)`: a header, one tuple of
 * fifteen fields per row, the -1 trailer. Every value is checked before a byte is written, so a
 * CopyEncodingError leaves nothing half-sent.
 */
export function encodeEventLogRows(rows: readonly TodoEventLogRow[]): Buffer {
  const checked = rows.map(encodable);
  let size = header.length + trailerBytes;
  for (const row of checked) size += row.bytes;
  const writer = new TupleWriter(Buffer.allocUnsafe(size));
  for (const row of checked) {
    writer.int16(eventLogCopyColumns.length);
    writer.int64(row.micros);
    for (const text of row.texts) writer.text(text);
    writer.text(row.eventData, jsonbVersion);
    writer.text(row.topic);
    writer.int32(4);
    writer.int32(row.partition);
    writer.int64(row.offset);
  }
  writer.int16(-1);
  // Buffer.write cuts a string silently where the buffer ends: a wrong size must never reach the table.
  if (writer.position !== size) throw new Error(`binary COPY encoding wrote ${writer.position} bytes of ${size}`);
  return writer.buffer;
}
