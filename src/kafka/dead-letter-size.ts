import { createHash } from 'node:crypto';
import type { IHeaders, Message } from 'kafkajs';
import { deadLetterHeaders } from './dead-letter-headers.js';

/** A record batch's fixed header (magic v2), counted once per produce request. */
export const recordBatchOverheadBytes = 61;

// Upper bound of a v2 record's own framing: length, attributes, timestamp and offset deltas, key and
// value lengths, header count (varints of at most 5 or 10 bytes each).
const recordOverheadBytes = 40;
const headerOverheadBytes = 10;
// Room left under max.message.bytes for what the estimate cannot see: gzip's framing on data that does
// not compress, and rounding.
const safetyMarginBytes = 1_024;

type HeaderValue = IHeaders[string];

function byteLength(value: Buffer | string | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}

function headerBytes(headers: IHeaders): number {
  let total = 0;
  for (const [name, value] of Object.entries(headers)) {
    const values: HeaderValue[] = Array.isArray(value) ? value : [value];
    for (const item of values) total += headerOverheadBytes + Buffer.byteLength(name) + byteLength(item as Buffer | string | undefined);
  }
  return total;
}

/** An upper bound of the bytes a message takes in an uncompressed v2 record batch. */
export function recordSizeBytes(message: Message): number {
  return recordOverheadBytes + byteLength(message.key) + byteLength(message.value) + headerBytes(message.headers ?? {});
}

function toBuffer(value: Buffer | string | null): Buffer | null {
  if (value === null) return null;
  return typeof value === 'string' ? Buffer.from(value) : value;
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

interface Original {
  key: Buffer | string | null;
  value: Buffer | null;
  headers: IHeaders;
}

/**
 * The dead-letter message for an original: as it was when it fits `maxMessageBytes` alone; otherwise with
 * its value cut to what fits, and when even that is not enough, with its headers dropped and its key cut,
 * each cut recorded in `dlq.*` headers with the original's size and SHA-256.
 */
export function fitDeadLetter(original: Original, dlq: IHeaders, maxMessageBytes: number): Message {
  const budget = maxMessageBytes - recordBatchOverheadBytes - safetyMarginBytes;
  const whole: Message = { key: original.key, value: original.value, headers: { ...original.headers, ...dlq } };
  if (recordSizeBytes(whole) <= budget) return whole;

  const value = original.value ?? Buffer.alloc(0);
  const valueNotes: IHeaders = {
    [deadLetterHeaders.valueTruncated]: 'true',
    [deadLetterHeaders.valueBytes]: String(value.length),
    [deadLetterHeaders.valueSha256]: sha256(value),
  };
  const withoutValue: Message = { key: original.key, value: null, headers: { ...original.headers, ...dlq, ...valueNotes } };
  const valueRoom = budget - recordSizeBytes(withoutValue);
  if (valueRoom >= 0) return { ...withoutValue, value: value.subarray(0, valueRoom) };

  const key = toBuffer(original.key) ?? Buffer.alloc(0);
  const notes: IHeaders = {
    ...valueNotes,
    [deadLetterHeaders.headersDropped]: String(Object.keys(original.headers).length),
    [deadLetterHeaders.keyTruncated]: 'true',
    [deadLetterHeaders.keyBytes]: String(key.length),
    [deadLetterHeaders.keySha256]: sha256(key),
  };
  const bare: Message = { key: null, value: null, headers: { ...dlq, ...notes } };
  const keyRoom = Math.max(0, budget - recordSizeBytes(bare));
  const keptKey = key.subarray(0, keyRoom);
  return { key: keptKey, value: value.subarray(0, Math.max(0, keyRoom - keptKey.length)), headers: bare.headers };
}
