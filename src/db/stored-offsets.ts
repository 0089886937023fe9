import { sql, type Kysely } from 'kysely';
import type { Database } from './database.js';

/** A partition's stored next offset: where the history of that partition continues. */
export interface StoredOffset {
  partition: number;
  nextOffset: string;
  updatedAt: Date;
  /** The Kafka cluster it was read from; null when an older build stored it. */
  clusterId: string | null;
}

/** The stored next offsets of a topic's partitions, by partition; a partition never stored has none. */
export async function readStoredOffsets(db: Kysely<Database>, topic: string): Promise<Map<number, StoredOffset>> {
  const rows = await db
    .selectFrom('todo_event_log_offsets')
    .select(['kafka_partition', 'next_offset', 'updated_at', 'kafka_cluster_id'])
    .where('kafka_topic', '=', topic)
    .orderBy('kafka_partition')
    .execute();
  return new Map(rows.map((row) => [row.kafka_partition, { partition: row.kafka_partition, nextOffset: row.next_offset, updatedAt: row.updated_at, clusterId: row.kafka_cluster_id }]));
}

/** Just the next offsets of readStoredOffsets, by partition. */
export async function readStoredNextOffsets(db: Kysely<Database>, topic: string): Promise<Map<number, string>> {
  return new Map([...(await readStoredOffsets(db, topic))].map(([partition, stored]) => [partition, stored.nextOffset]));
}

/**
 * Sets partitions' stored next offsets outright (`todo-history offsets reset`), in one transaction, as
 * offsets of cluster `clusterId`: the cluster they were chosen in.
 */
export async function writeStoredOffsets(db: Kysely<Database>, topic: string, offsets: ReadonlyMap<number, string>, clusterId: string): Promise<void> {
  if (offsets.size === 0) return;
  await db
    .insertInto('todo_event_log_offsets')
    .values([...offsets].map(([partition, nextOffset]) => ({ kafka_topic: topic, kafka_partition: partition, next_offset: nextOffset, kafka_cluster_id: clusterId })))
    .onConflict((conflict) =>
      conflict
        .columns(['kafka_topic', 'kafka_partition'])
        .doUpdateSet((eb) => ({ next_offset: eb.ref('excluded.next_offset'), kafka_cluster_id: eb.ref('excluded.kafka_cluster_id'), updated_at: sql<Date>`now()` })),
    )
    .execute();
}
