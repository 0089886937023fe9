import { sql, type Kysely } from 'kysely';
import type { TodoEventLogRow } from '../events/todo-event-log-row.js';
import type { Database } from './database.js';

/** What one write did: rows new to the table, and rows that were already there (redeliveries). */
export interface WriteResult {
  inserted: number;
  duplicates: number;
}

function column<T>(rows: readonly TodoEventLogRow[], pick: (row: TodoEventLogRow) => T): T[] {
  return rows.map(pick);
}

/**
 * One INSERT of many rows as fifteen array parameters unnested server-side: the statement's size and
 * its bind-parameter count do not grow with the rows, and PostgreSQL parses it faster than multi-row
 * VALUES. `ON CONFLICT DO NOTHING` on the Kafka coordinates turns a record stored before into a no-op.
 */
export function insertNewRows(db: Kysely<Database>, rows: readonly TodoEventLogRow[]) {
  return db
    .insertInto('todo_event_logs')
    .columns([
      'timestamp', 'event_type', 'entity', 'entity_id', 'group_id', 'group_name', 'task_id', 'task_name',
      'changes', 'user_name', 'workspace', 'event_data', 'kafka_topic', 'kafka_partition', 'kafka_offset',
    ])
    .expression(
      sql`SELECT * FROM unnest(
        ${column(rows, (r) => r.timestamp)}::timestamptz[],
        ${column(rows, (r) => r.eventType)}::varchar[],
        ${column(rows, (r) => r.entity)}::varchar[],
        ${column(rows, (r) => r.entityId)}::varchar[],
        ${column(rows, (r) => r.groupId)}::varchar[],
        ${column(rows, (r) => r.groupName)}::varchar[],
        ${column(rows, (r) => r.taskId)}::varchar[],
        ${column(rows, (r) => r.taskName)}::varchar[],
        ${column(rows, (r) => r.changes)}::text[],
        ${column(rows, (r) => r.userName)}::varchar[],
        ${column(rows, (r) => r.workspace)}::varchar[],
        ${column(rows, (r) => r.eventData)}::jsonb[],
        ${column(rows, (r) => r.kafka.topic)}::text[],
        ${column(rows, (r) => r.kafka.partition)}::int[],
        ${column(rows, (r) => r.kafka.offset)}::bigint[]
      )`,
    )
    .onConflict((conflict) => conflict.columns(['kafka_topic', 'kafka_partition', 'kafka_offset', 'timestamp']).doNothing());
}

/**
 * Writes rows in one transaction, in chunks of at most `chunkRows`: all of them are stored, or none.
 */
export async function writeEventLogs(
  db: Kysely<Database>,
  rows: readonly TodoEventLogRow[],
  chunkRows: number,
): Promise<WriteResult> {
  if (rows.length === 0) return { inserted: 0, duplicates: 0 };
  const inserted = await db.transaction().execute(async (trx) => {
    let count = 0;
    for (let start = 0; start < rows.length; start += chunkRows) {
      const result = await insertNewRows(trx, rows.slice(start, start + chunkRows)).executeTakeFirst();
      count += Number(result.numInsertedOrUpdatedRows ?? 0n);
    }
    return count;
  });
  return { inserted, duplicates: rows.length - inserted };
}
