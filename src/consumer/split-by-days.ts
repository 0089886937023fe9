import { timestamptzMicros } from '../db/timestamptz-micros.js';
import type { TodoEventLogRow } from '../events/todo-event-log-row.js';
import type { SortedBatch } from './store-batch.js';

const MICROS_PER_DAY = 86_400_000_000n;

/** The UTC day a row is stored on (a 1-day TimescaleDB chunk); undefined for a time PostgreSQL refuses, which makes no chunk. */
function dayOf(row: TodoEventLogRow): bigint | undefined {
  let micros: bigint;
  try {
    micros = timestamptzMicros(row.timestamp);
  } catch {
    return undefined;
  }
  const day = micros / MICROS_PER_DAY;
  return micros < 0n && day * MICROS_PER_DAY !== micros ? day - 1n : day;
}

/** The offsets at which a new part starts: where a row would bring its part's days past `maxDays`. */
function partStarts(rows: readonly TodoEventLogRow[], maxDays: number): bigint[] {
  const starts: bigint[] = [];
  let days = new Set<bigint>();
  for (const row of rows) {
    const day = dayOf(row);
    if (day === undefined || days.has(day)) continue;
    if (days.size === maxDays) {
      starts.push(BigInt(row.kafka.offset));
      days = new Set();
    }
    days.add(day);
  }
  return starts;
}

/**
 * Cuts a batch into consecutive parts whose rows fall on at most `maxDays` distinct days each, so that no
 * transaction creates more TimescaleDB chunks than PostgreSQL's shared lock table holds (each new chunk
 * takes about twenty locks until the transaction ends). A batch within the limit is returned whole.
 */
export function splitByDays(batch: SortedBatch, maxDays: number): SortedBatch[] {
  const starts = partStarts(batch.rows, maxDays);
  if (starts.length === 0) return [batch];
  const bounds = [-1n, ...starts];
  return bounds.map((start, index) => {
    const end = bounds[index + 1];
    const inPart = (offset: string): boolean => BigInt(offset) >= start && (end === undefined || BigInt(offset) < end);
    const rows = batch.rows.map((row, rowIndex) => ({ row, fallback: batch.fallbacks[rowIndex] ?? null })).filter(({ row }) => inPart(row.kafka.offset));
    return {
      topic: batch.topic,
      partition: batch.partition,
      messages: batch.messages.filter((message) => inPart(message.offset)),
      rows: rows.map(({ row }) => row),
      fallbacks: rows.map(({ fallback }) => fallback),
      deadLetters: batch.deadLetters.filter((letter) => inPart(letter.message.offset)),
    };
  });
}
