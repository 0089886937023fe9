import type { KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { describeRowRejection, isRowRejection } from '../db/database-error.js';
import type { WriteResult } from '../db/event-log-writer.js';
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
}

interface PartitionBatch {
  topic: string;
  partition: number;
  messages: readonly KafkaMessage[];
}

interface Sorted {
  rows: TodoEventLogRow[];
  deadLetters: DeadLetter[];
}

function sortMessages(batch: PartitionBatch, logger: Logger): Sorted {
  const sorted: Sorted = { rows: [], deadLetters: [] };
  const { topic, partition } = batch;
  for (const message of batch.messages) {
    try {
      const row = toEventLogRow(message, { topic, partition, offset: message.offset });
      sorted.rows.push(row);
      if (logger.isLevelEnabled('debug')) {
        logger.debug(
          { eventType: row.eventType, time: row.timestamp, changes: row.changes, group: row.groupName, task: row.taskName },
          'event',
        );
      }
    } catch (error) {
      if (!(error instanceof EventRejection)) throw error;
      sorted.deadLetters.push({ topic, partition, message, code: error.code, reason: error.message });
    }
  }
  return sorted;
}

/**
 * Writes rows; when PostgreSQL refuses one of them, halves the set until the refused rows are found,
 * so one bad row costs about log2(n) extra transactions and never blocks its neighbours.
 */
async function writeIsolatingRejects(
  rows: readonly TodoEventLogRow[],
  sinks: BatchSinks,
  rejected: { row: TodoEventLogRow; reason: string }[],
): Promise<WriteResult> {
  try {
    return await sinks.writeRows(rows);
  } catch (error) {
    if (!isRowRejection(error)) throw error;
    const [only] = rows;
    if (rows.length === 1 && only !== undefined) {
      rejected.push({ row: only, reason: describeRowRejection(error) });
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
 */
export async function storeBatch(batch: PartitionBatch, sinks: BatchSinks, logger: Logger): Promise<BatchOutcome> {
  const { rows, deadLetters } = sortMessages(batch, logger);
  const rejected: { row: TodoEventLogRow; reason: string }[] = [];
  const written = await writeIsolatingRejects(rows, sinks, rejected);
  for (const { row, reason } of rejected) {
    // Rejections are rare: look their messages up then, rather than index every message of every batch.
    const message = batch.messages.find((m) => m.offset === row.kafka.offset);
    if (message) deadLetters.push({ topic: batch.topic, partition: batch.partition, message, code: 'database_rejected', reason });
  }
  await sinks.publishDeadLetters(deadLetters);
  return { messages: batch.messages.length, ...written, deadLetters };
}
