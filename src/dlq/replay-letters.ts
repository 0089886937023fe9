import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import { EveryRowRefusedError } from '../db/database-error.js';
import type { Database } from '../db/database.js';
import { writeEventLogs, type WriteResult } from '../db/event-log-writer.js';
import type { EventLimits } from '../events/event-limits.js';
import type { TodoEventLogRow } from '../events/todo-event-log-row.js';
import { splitByDays } from '../consumer/split-by-days.js';
import { sortBatch, storeSortedBatch, type BatchSinks, type SortedBatch } from '../consumer/store-batch.js';
import type { DeadLetterRecord } from './dead-letter-record.js';
import { sampleOf, type LetterSample } from './inspect-summary.js';

/** What `dlq replay` prints. */
export interface ReplayReport {
  dryRun: boolean;
  read: number;
  matched: number;
  /** Rows new to the table (with --dry-run: rows that would be). */
  stored: number;
  /** Letters whose row the table already holds: an earlier replay, or the consumer itself, stored it. */
  alreadyStored: number;
  /** Letters that are still refused, by the reason they are refused now. */
  stillInvalid: Record<string, number>;
  /** Letters whose value was cut to fit the dead-letter topic: the event is not in the letter any more. */
  unrecoverable: number;
  stillInvalidSamples: LetterSample[];
}

const samplesPerReason = 3;

/** Which of `rows` the table already holds, by their Kafka coordinates: what a replay would not add. */
async function countStored(db: Kysely<Database>, rows: readonly TodoEventLogRow[]): Promise<WriteResult> {
  if (rows.length === 0) return { inserted: 0, duplicates: 0 };
  const { rows: found } = await sql<{ stored: string }>`
    SELECT count(*) AS stored FROM todo_event_logs
    WHERE (kafka_topic, kafka_partition, kafka_offset, timestamp) IN (
      SELECT * FROM unnest(
        ${rows.map((row) => row.kafka.topic)}::text[],
        ${rows.map((row) => row.kafka.partition)}::int[],
        ${rows.map((row) => row.kafka.offset)}::bigint[],
        ${rows.map((row) => row.timestamp)}::timestamptz[]))`.execute(db);
  const stored = Number(found[0]?.stored ?? 0);
  return { inserted: rows.length - stored, duplicates: stored };
}

/**
 * Takes dead letters back through the consumer's own mapping, parts and writer (store-batch.ts), under their
 * original topic, partition and offset: a letter that is valid now becomes the row the consumer would have
 * stored, and the coordinates' unique key makes a second replay add nothing. Letters still refused are
 * counted, not dead-lettered again: they are in the dead-letter topic already.
 */
export class LetterReplayer {
  private readonly report: ReplayReport;
  private readonly sinks: BatchSinks;

  constructor(
    db: Kysely<Database>,
    private readonly limits: EventLimits,
    chunkRows: number,
    /** Most distinct days one transaction stores rows on (DATABASE_MAX_DAYS_PER_TRANSACTION), as the consumer. */
    private readonly maxDaysPerTransaction: number,
    dryRun: boolean,
    private readonly logger: Logger,
  ) {
    this.report = { dryRun, read: 0, matched: 0, stored: 0, alreadyStored: 0, stillInvalid: {}, unrecoverable: 0, stillInvalidSamples: [] };
    this.sinks = {
      writeRows: (rows) => (dryRun ? countStored(db, rows) : writeEventLogs(db, rows, chunkRows)),
      publishDeadLetters: async () => undefined,
    };
  }

  countRead(letters: number): void {
    this.report.read += letters;
  }

  /** Replays letters, grouped by their original partition as the consumer would have read them. */
  async replay(records: readonly DeadLetterRecord[]): Promise<void> {
    this.report.matched += records.length;
    const byPartition = new Map<string, DeadLetterRecord[]>();
    for (const record of records) {
      if (record.valueTruncated) {
        this.report.unrecoverable += 1;
        continue;
      }
      const key = `${record.original.topic}\u0000${record.original.partition}`;
      const group = byPartition.get(key);
      if (group === undefined) byPartition.set(key, [record]);
      else group.push(record);
    }
    for (const group of byPartition.values()) await this.replayPartition(group);
  }

  private async replayPartition(records: readonly DeadLetterRecord[]): Promise<void> {
    const [first] = records;
    if (first === undefined) return;
    const batch = { topic: first.original.topic, partition: first.original.partition, messages: records.map((record) => record.message) };
    // As the consumer stores a batch: in parts of at most maxDaysPerTransaction days, a transaction each.
    for (const part of splitByDays(sortBatch(batch, this.limits, this.logger), this.maxDaysPerTransaction)) {
      await this.replayPart(part, records.filter((record) => part.messages.includes(record.message)));
    }
  }

  private async replayPart(part: SortedBatch, records: readonly DeadLetterRecord[]): Promise<void> {
    try {
      const outcome = await storeSortedBatch(part, this.sinks);
      this.report.stored += outcome.inserted;
      this.report.alreadyStored += outcome.duplicates;
      for (const letter of outcome.deadLetters) {
        const record = records.find((candidate) => candidate.message.offset === letter.message.offset);
        if (record !== undefined) this.stillInvalid({ ...record, reason: letter.code, error: letter.reason });
      }
    } catch (error) {
      if (!(error instanceof EveryRowRefusedError)) throw error;
      // The consumer retries such a batch, suspecting the table rather than the data. These letters were
      // refused before, so each is tried alone: one refused alone is still invalid, with its own reason.
      const [only] = records;
      if (records.length === 1 && only !== undefined) this.stillInvalid({ ...only, reason: 'database_rejected', error: error.reason });
      else for (const record of records) await this.replayPartition([record]);
    }
  }

  private stillInvalid(record: DeadLetterRecord): void {
    const seen = this.report.stillInvalid[record.reason] ?? 0;
    this.report.stillInvalid[record.reason] = seen + 1;
    if (seen < samplesPerReason) this.report.stillInvalidSamples.push(sampleOf(record));
  }

  summary(): ReplayReport {
    return this.report;
  }
}
