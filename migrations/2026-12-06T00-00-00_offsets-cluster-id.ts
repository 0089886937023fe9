import { sql, type Kysely } from 'kysely';

/** Additive: builds of level 1 keep running on it and leave the column as they find it. */
export const compatibilityLevel = 1;

/**
 * The id of the Kafka cluster each stored offset was read from. An offset means something only in the log
 * it was read from: pointed at another cluster (a migration, a disaster-recovery failover), the consumer
 * stops the partition instead of continuing at an offset of the old one. NULL for offsets stored before:
 * the first batch stored afterwards records the cluster it reads.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE todo_event_log_offsets ADD COLUMN IF NOT EXISTS kafka_cluster_id TEXT`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE todo_event_log_offsets DROP COLUMN IF EXISTS kafka_cluster_id`.execute(db);
}
