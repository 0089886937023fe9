import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { copyEventLogs } from '../../src/db/copy-event-logs.js';
import type { Database } from '../../src/db/database.js';
import { databaseOver } from '../../src/db/create-database.js';
import { writeEventLogs } from '../../src/db/event-log-writer.js';
import { PartitionBatchStore } from '../../src/db/partition-batch-store.js';
import type { TodoEventLogRow } from '../../src/events/todo-event-log-row.js';

const columns = [
  'timestamp', 'event_type', 'entity', 'entity_id', 'group_id', 'group_name', 'task_id', 'task_name',
  'changes', 'user_name', 'workspace', 'event_data', 'kafka_topic', 'kafka_partition', 'kafka_offset',
] as const;

function values(row: TodoEventLogRow): (string | number | null)[] {
  return [
    row.timestamp, row.eventType, row.entity, row.entityId, row.groupId, row.groupName, row.taskId, row.taskName,
    row.changes, row.userName, row.workspace, row.eventData, row.kafka.topic, row.kafka.partition, row.kafka.offset,
  ];
}

function copyField(value: string | number | null): string {
  if (value === null) return '\\N';
  return String(value).replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c] ?? c);
}

function* chunks<T>(items: readonly T[], size: number): Generator<readonly T[]> {
  for (let start = 0; start < items.length; start += size) yield items.slice(start, start + size);
}

/** Runs `write` on one client for each chunk of `perTransaction` rows, each chunk its own transaction. */
async function eachChunkInTransaction(
  url: string,
  rows: readonly TodoEventLogRow[],
  perTransaction: number,
  write: (client: pg.Client, chunk: readonly TodoEventLogRow[]) => Promise<unknown>,
): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const chunk of chunks(rows, perTransaction)) {
      await client.query('BEGIN');
      await write(client, chunk);
      await client.query('COMMIT');
    }
  } finally {
    await client.end();
  }
}

/** PostgreSQL's own ceiling: COPY in text format, one transaction per chunk. */
export function copyRows(url: string, rows: readonly TodoEventLogRow[], perTransaction: number): Promise<void> {
  return eachChunkInTransaction(url, rows, perTransaction, (client, chunk) => {
    const text = chunk.map((row) => `${values(row).map(copyField).join('\t')}\n`).join('');
    return pipeline(Readable.from([text]), client.query(copyFrom(`COPY todo_event_logs (${columns.join(', ')}) FROM STDIN`)));
  });
}

/** The binary COPY module the consumer's write path uses: one COPY per chunk, one transaction per chunk. */
export function copyBinaryRows(url: string, rows: readonly TodoEventLogRow[], perTransaction: number): Promise<void> {
  return eachChunkInTransaction(url, rows, perTransaction, (client, chunk) => copyEventLogs(client, chunk));
}

/** Binary COPY into the table without the unique index on the Kafka coordinates: what keeping it costs. */
export async function copyBinaryWithoutCoordinatesIndex(url: string, rows: readonly TodoEventLogRow[], perTransaction: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('DROP INDEX todo_event_logs_kafka_coordinates_key');
  } finally {
    await client.end();
  }
  await copyBinaryRows(url, rows, perTransaction);
}

/**
 * The consumer's write path itself: per partition, transactions of `perTransaction` rows that advance
 * the partition's stored offset (fenced) and COPY the rows, as PartitionBatchStore does for each batch.
 */
export async function consumerWritePath(url: string, rows: readonly TodoEventLogRow[], perTransaction: number): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  const db = databaseOver(pool);
  const store = new PartitionBatchStore(pool, db, 5_000);
  const byPartition = new Map<number, TodoEventLogRow[]>();
  for (const row of rows) {
    const partitionRows = byPartition.get(row.kafka.partition) ?? [];
    partitionRows.push(row);
    byPartition.set(row.kafka.partition, partitionRows);
  }
  try {
    for (const [partition, partitionRows] of byPartition) {
      let from: string | null = null;
      for (const chunk of chunks(partitionRows, perTransaction)) {
        const to = (BigInt(chunk[chunk.length - 1]?.kafka.offset ?? '0') + 1n).toString();
        await store.inBatchTransaction({ topic: 'bench', partition, from, to, clusterId: 'bench' }, (trx) => trx.writeRows(chunk));
        from = to;
      }
    }
  } finally {
    // Not db.destroy(): Kysely ends a pool only once it has run a query of its own on it.
    await pool.end();
  }
}

/** The unnest INSERT with ON CONFLICT DO NOTHING: `dlq replay`'s writer, and the consumer's when a batch overlaps the table. */
export async function unnestRows(db: Kysely<Database>, rows: readonly TodoEventLogRow[], perTransaction: number): Promise<void> {
  for (const chunk of chunks(rows, perTransaction)) await writeEventLogs(db, chunk, perTransaction);
}

/** What Kysely's `.values([...])` builds: one bind parameter per value. */
export async function multiRowValues(db: Kysely<Database>, rows: readonly TodoEventLogRow[], perTransaction: number): Promise<void> {
  for (const chunk of chunks(rows, perTransaction)) {
    await db
      .insertInto('todo_event_logs')
      .values(
        chunk.map((row) => ({
          timestamp: row.timestamp, event_type: row.eventType, entity: row.entity, entity_id: row.entityId,
          group_id: row.groupId, group_name: row.groupName, task_id: row.taskId, task_name: row.taskName,
          changes: row.changes, user_name: row.userName, workspace: row.workspace, event_data: row.eventData,
          kafka_topic: row.kafka.topic, kafka_partition: row.kafka.partition, kafka_offset: row.kafka.offset,
        })),
      )
      .onConflict((conflict) => conflict.columns(['kafka_topic', 'kafka_partition', 'kafka_offset', 'timestamp']).doNothing())
      .execute();
  }
}

/** The Go service's design: one INSERT, one transaction, per event, from one client. */
export async function rowByRow(url: string, rows: readonly TodoEventLogRow[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const placeholders = columns.map((_, i) => `$${i + 1}`).join(', ');
    for (const row of rows) {
      await client.query(`INSERT INTO todo_event_logs (${columns.join(', ')}) VALUES (${placeholders})`, values(row));
    }
  } finally {
    await client.end();
  }
}
