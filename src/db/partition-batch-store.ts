import { sql, type Compilable, type Kysely } from 'kysely';
import type pg from 'pg';
import type { TodoEventLogRow } from '../events/todo-event-log-row.js';
import type { Database } from './database.js';
import { copyEventLogs } from './copy-event-logs.js';
import { isUniqueViolation } from './database-error.js';
import { insertNewRows, type WriteResult } from './event-log-writer.js';

/** A batch's move of its partition's stored next offset: from the offset the writer started at, to past the batch. */
export interface OffsetAdvance {
  topic: string;
  partition: number;
  /** The stored next offset this write continues from; null when the partition has no stored offset yet. */
  from: string | null;
  to: string;
  /** The Kafka cluster the batch was read from, recorded with the offset. */
  clusterId: string;
}

/**
 * The partition's stored offset is not the one the batch started from: another consumer stored the
 * partition since (it took the partition over in a rebalance), or `todo-history offsets reset` moved it.
 * The transaction is rolled back, so nothing of the batch is stored.
 */
export class OffsetFencedError extends Error {
  readonly code = 'offset_fenced';
  readonly retryable = false;

  constructor(readonly advance: OffsetAdvance) {
    super(
      `partition ${advance.partition} of ${advance.topic} no longer continues from offset ${advance.from ?? '(none stored)'}: ` +
        'another consumer stored it since, or its offset was reset; the batch was not stored',
    );
    this.name = 'OffsetFencedError';
  }
}

/** The writes of one batch's transaction. */
export interface BatchTransaction {
  /** Stores rows; when PostgreSQL refuses them, only these rows are undone (a savepoint) and it rejects. */
  writeRows(rows: readonly TodoEventLogRow[]): Promise<WriteResult>;
}

async function run(client: pg.PoolClient, query: Compilable): Promise<pg.QueryResult> {
  const { sql, parameters } = query.compile();
  return client.query(sql, [...parameters]);
}

/**
 * Stores each partition's batch in one transaction that also advances the partition's stored next
 * offset, and only from the offset the batch started at: rows and offset are committed together or not
 * at all, and a consumer that lost its partition cannot store a stale batch after the new owner stored.
 * Queries are Kysely's, run on a client checked out of `pool` for the transaction.
 */
export class PartitionBatchStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly db: Kysely<Database>,
    /** Most rows in one INSERT statement. */
    private readonly chunkRows: number,
  ) {}

  /**
   * Runs `work` in a transaction that first advances the stored offset; commits when `work` resolves.
   * @throws OffsetFencedError when the stored offset is not `advance.from`.
   */
  async inBatchTransaction<T>(advance: OffsetAdvance, work: (trx: BatchTransaction) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let unusable: Error | undefined;
    try {
      try {
        await client.query('BEGIN');
        await this.advanceOffset(client, advance);
        const result = await work({ writeRows: (rows) => this.writeRows(client, rows) });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackFailure: Error) => {
          unusable = rollbackFailure;
        });
        throw error;
      }
    } finally {
      // A client whose ROLLBACK failed has lost its connection: the pool must not hand it out again.
      client.release(unusable);
    }
  }

  /** Takes the partition's offset row lock first, so a second writer of the partition waits here, then finds it moved. */
  private async advanceOffset(client: pg.PoolClient, advance: OffsetAdvance): Promise<void> {
    const { topic, partition, from, to, clusterId } = advance;
    const query =
      from === null
        ? this.db
            .insertInto('todo_event_log_offsets')
            .values({ kafka_topic: topic, kafka_partition: partition, next_offset: to, kafka_cluster_id: clusterId })
            .onConflict((conflict) => conflict.columns(['kafka_topic', 'kafka_partition']).doNothing())
        : this.db
            .updateTable('todo_event_log_offsets')
            .set({ next_offset: to, kafka_cluster_id: clusterId, updated_at: sql<Date>`now()` })
            .where('kafka_topic', '=', topic)
            .where('kafka_partition', '=', partition)
            .where('next_offset', '=', from);
    const { rowCount } = await run(client, query);
    if (rowCount !== 1) throw new OffsetFencedError(advance);
  }

  /**
   * One binary COPY, PostgreSQL's fastest way in, in a savepoint. COPY cannot skip a row that is stored
   * already: when the rows overlap the table (a reset read them again, or an older build stored them),
   * the COPY is undone and the rows go in by INSERT … ON CONFLICT DO NOTHING, which stores only the new.
   */
  private async writeRows(client: pg.PoolClient, rows: readonly TodoEventLogRow[]): Promise<WriteResult> {
    if (rows.length === 0) return { inserted: 0, duplicates: 0 };
    await client.query('SAVEPOINT batch_rows');
    try {
      const copied = await copyEventLogs(client, rows);
      await client.query('RELEASE SAVEPOINT batch_rows');
      return { inserted: copied, duplicates: rows.length - copied };
    } catch (error) {
      await client.query('ROLLBACK TO SAVEPOINT batch_rows');
      if (!isUniqueViolation(error)) throw error;
    }
    await client.query('SAVEPOINT batch_rows');
    try {
      let inserted = 0;
      for (let start = 0; start < rows.length; start += this.chunkRows) {
        const { rowCount } = await run(client, insertNewRows(this.db, rows.slice(start, start + this.chunkRows)));
        inserted += rowCount ?? 0;
      }
      await client.query('RELEASE SAVEPOINT batch_rows');
      return { inserted, duplicates: rows.length - inserted };
    } catch (error) {
      await client.query('ROLLBACK TO SAVEPOINT batch_rows');
      throw error;
    }
  }
}
