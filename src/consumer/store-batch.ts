import type { KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { describeRowRejection, EveryRowRefusedError, isRowRejection, isValueRejection } from '../db/database-error.js';
import type { WriteResult } from '../db/event-log-writer.js';
import type { EventLimits } from '../events/event-limits.js';
import type { TimestampSource } from '../events/event-time.js';
import { EventRejection } from '../events/rejection.js';
import { toEventLogRow } from '../events/to-event-log-row.js';
import type { TodoEventLogRow } from '../events/todo-event-log-row.js';
import type { DeadLetter, PublishDeadLetters } from '../kafka/dead-letter-publisher.js';

/** The I/O a batch needs, passed in so the steps stay testable and the order explicit. */
export interface BatchSinks {
  /** Writes rows in one transaction: all or none. */
  writeRows(rows: readonly TodoEventLogRow[]): Promise<WriteResult>;
  publishDeadLetters: PublishDeadLetters;
}

export interface BatchOutcome {
  messages: number;
  inserted: number;
  duplicates: number;
  deadLetters: readonly DeadLetter[];
  /** Rows whose given timestamp was invalid, by the source their time came from instead. */
  timestampFallbacks: readonly TimestampSource[];
}

export interface PartitionBatch {
  topic: string;
  partition: number;
  messages: readonly KafkaMessage[];
}

/** A batch's messages sorted into rows and dead letters, in offset order. */
export interface SortedBatch extends PartitionBatch {
  rows: TodoEventLogRow[];
  /** Per row: the source its time came from when its given timestamp was invalid, else null. */
  fallbacks: (TimestampSource | null)[];
  deadLetters: DeadLetter[];
}

/**
 * A message's content can only ever make it a row or a dead letter: a failure that is not a known
 * rejection still comes from this message alone (mapping is pure), so it is dead-lettered as
 * `unprocessable` rather than retried for ever.
 */
function rejectionOf(error: unknown): { code: DeadLetter['code']; reason: string } {
  if (error instanceof EventRejection) return { code: error.code, reason: error.message };
  const description = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { code: 'unprocessable', reason: `mapping failed: ${description}` };
}

/** Maps each message to its row, or to a dead letter with the reason. */
export function sortBatch(batch: PartitionBatch, limits: EventLimits, logger: Logger): SortedBatch {
  const sorted: SortedBatch = { ...batch, rows: [], fallbacks: [], deadLetters: [] };
  const { topic, partition } = batch;
  for (const message of batch.messages) {
    try {
      const { row, timestampFallback } = toEventLogRow(message, { topic, partition, offset: message.offset }, limits);
      sorted.rows.push(row);
      sorted.fallbacks.push(timestampFallback);
      if (logger.isLevelEnabled('debug')) {
        logger.debug(
          { eventType: row.eventType, time: row.timestamp, changes: row.changes, group: row.groupName, task: row.taskName },
          'event',
        );
      }
    } catch (error) {
      sorted.deadLetters.push({ topic, partition, message, ...rejectionOf(error) });
    }
  }
  return sorted;
}

interface RejectedRow {
  row: TodoEventLogRow;
  reason: string;
  /** Refused for its value alone, whatever the table (see isValueRejection). */
  valueAlone: boolean;
}

/**
 * Writes rows; when PostgreSQL refuses one of them, halves the set until the refused rows are found,
 * so one bad row costs about log2(n) extra transactions and never blocks its neighbours.
 */
async function writeIsolatingRejects(
  rows: readonly TodoEventLogRow[],
  sinks: BatchSinks,
  rejected: RejectedRow[],
): Promise<WriteResult> {
  try {
    return await sinks.writeRows(rows);
  } catch (error) {
    if (!isRowRejection(error)) throw error;
    const [only] = rows;
    if (rows.length === 1 && only !== undefined) {
      rejected.push({ row: only, reason: describeRowRejection(error), valueAlone: isValueRejection(error) });
      return { inserted: 0, duplicates: 0 };
    }
    const middle = Math.ceil(rows.length / 2);
    const first = await writeIsolatingRejects(rows.slice(0, middle), sinks, rejected);
    const second = await writeIsolatingRejects(rows.slice(middle), sinks, rejected);
    return { inserted: first.inserted + second.inserted, duplicates: first.duplicates + second.duplicates };
  }
}

/**
 * Stores one partition's batch: valid events become rows, the rest dead letters with their reason.
 * Resolves only when the rows are committed and the dead letters acknowledged; then, and only then,
 * may the caller commit the batch's offsets. Transient failures reject, leaving nothing half-done that a
 * retry would duplicate: rows are idempotent by their Kafka coordinates.
 * @throws EveryRowRefusedError when PostgreSQL refuses every row for what the table allows, which is
 * retried like an outage.
 */
export async function storeBatch(batch: PartitionBatch, sinks: BatchSinks, limits: EventLimits, logger: Logger): Promise<BatchOutcome> {
  return storeSortedBatch(sortBatch(batch, limits, logger), sinks);
}

/** storeBatch, for a batch sorted already. */
export async function storeSortedBatch(batch: SortedBatch, sinks: BatchSinks): Promise<BatchOutcome> {
  const { rows } = batch;
  const deadLetters = [...batch.deadLetters];
  const timestampFallbacks = batch.fallbacks.filter((source) => source !== null);
  const rejected: RejectedRow[] = [];
  const written = await writeIsolatingRejects(rows, sinks, rejected);
  const refusedByTable = rejected.find((rejection) => !rejection.valueAlone);
  if (refusedByTable !== undefined && rejected.length === rows.length) throw new EveryRowRefusedError(rows.length, refusedByTable.reason);
  for (const { row, reason } of rejected) {
    // Rejections are rare: look their messages up then, rather than index every message of every batch.
    const message = batch.messages.find((m) => m.offset === row.kafka.offset);
    if (message) deadLetters.push({ topic: batch.topic, partition: batch.partition, message, code: 'database_rejected', reason });
  }
  await sinks.publishDeadLetters(deadLetters);
  return { messages: batch.messages.length, ...written, deadLetters, timestampFallbacks };
}

/** The outcome of a batch stored in several parts. */
export function mergeOutcomes(outcomes: readonly BatchOutcome[]): BatchOutcome {
  return {
    messages: outcomes.reduce((sum, outcome) => sum + outcome.messages, 0),
    inserted: outcomes.reduce((sum, outcome) => sum + outcome.inserted, 0),
    duplicates: outcomes.reduce((sum, outcome) => sum + outcome.duplicates, 0),
    deadLetters: outcomes.flatMap((outcome) => outcome.deadLetters),
    timestampFallbacks: outcomes.flatMap((outcome) => outcome.timestampFallbacks),
  };
}
