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
const nullLength = -1;
const jsonbVersion = 1;
/** The field count, each field's length word, and the int64, int4 and int8 values. */
const fixedTupleBytes = 2 + eventLogCopyColumns.length * 4 + 8 + 4 + 8;
/** A first guess at a tuple's size; the buffer grows when rows are larger. */
const typicalTupleBytes = 256;
const int8Min = -(2n ** 63n);
const int8Max = 2n ** 63n - 1n;
const decimalInteger = /^[+-]?\d+$/;

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

/** A buffer written front to back that doubles when a value would not fit. */
class CopyBuffer {
  private buffer: Buffer;
  private position = 0;

  constructor(initialBytes: number) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  private reserve(bytes: number): void {
    if (this.position + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.position + bytes));
    this.buffer.copy(grown, 0, 0, this.position);
    this.buffer = grown;
  }

  bytes(value: Buffer): void {
    this.reserve(value.length);
    this.position += value.copy(this.buffer, this.position);
  }

  int16(value: number): void {
    this.reserve(2);
    this.position = this.buffer.writeInt16BE(value, this.position);
  }

  int32(value: number): void {
    this.reserve(4);
    this.position = this.buffer.writeInt32BE(value, this.position);
  }

  int64(value: bigint): void {
    this.reserve(8);
    this.position = this.buffer.writeBigInt64BE(value, this.position);
  }

  /** A text field: its length, then its UTF-8 bytes; `prefix` is jsonb's version byte. */
  text(column: string, value: string | null, prefix?: number): void {
    if (value === null) {
      this.int32(nullLength);
      return;
    }
    // Buffer would write U+FFFD for an unpaired surrogate: the row would be stored altered.
    if (!value.isWellFormed()) throw new CopyEncodingError('22021', column, 'holds an unpaired UTF-16 surrogate, which UTF-8 cannot encode');
    // A UTF-16 code unit takes at most 3 bytes of UTF-8 (a surrogate pair, 2 units, takes 4).
    this.reserve(4 + 1 + value.length * 3);
    const lengthAt = this.position;
    this.position += 4;
    if (prefix !== undefined) this.position = this.buffer.writeUInt8(prefix, this.position);
    this.position += this.buffer.write(value, this.position, 'utf8');
    this.buffer.writeInt32BE(this.position - lengthAt - 4, lengthAt);
  }

  written(): Buffer {
    return this.buffer.subarray(0, this.position);
  }
}

/**
 * The rows in PostgreSQL's binary COPY format (the COPY reference, "Binary Format"), for
 * `COPY todo_event_logs (eventLogCopyColumns) FROM STDIN (FORMAT binary)`: a header, one tuple of
 * fifteen fields per row, the -1 trailer. A value that cannot be encoded throws a CopyEncodingError
 * before the buffer exists for anyone to send.
 */
export function encodeEventLogRows(rows: readonly TodoEventLogRow[]): Buffer {
  const out = new CopyBuffer(header.length + rows.length * (fixedTupleBytes + typicalTupleBytes) + 2);
  out.bytes(header);
  for (const row of rows) {
    out.int16(eventLogCopyColumns.length);
    out.int32(8);
    out.int64(timestamptzMicros(row.timestamp));
    out.text('event_type', row.eventType);
    out.text('entity', row.entity);
    out.text('entity_id', row.entityId);
    out.text('group_id', row.groupId);
    out.text('group_name', row.groupName);
    out.text('task_id', row.taskId);
    out.text('task_name', row.taskName);
    out.text('changes', row.changes);
    out.text('user_name', row.userName);
    out.text('workspace', row.workspace);
    out.text('event_data', row.eventData, jsonbVersion);
    out.text('kafka_topic', row.kafka.topic);
    out.int32(4);
    out.int32(partition(row.kafka.partition));
    out.int32(8);
    out.int64(offset(row.kafka.offset));
  }
  out.int16(-1);
  return out.written();
}
