import { sql, type Kysely } from 'kysely';

/** Additive: builds of level 1 keep running on it (see README, "Schema compatibility"). */
export const compatibilityLevel = 1;

/**
 * Each partition's next offset to store, written in the same transaction as the partition's rows, so
 * the table says exactly which records it holds. A writer advances a row only from the offset it
 * started from (`UPDATE … WHERE next_offset = $expected`): a consumer that lost its partition in a
 * rebalance, but still has a batch in flight, finds the row moved on and stores nothing.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE IF NOT EXISTS todo_event_log_offsets (
      kafka_topic TEXT NOT NULL,
      kafka_partition INTEGER NOT NULL CHECK (kafka_partition >= 0),
      next_offset BIGINT NOT NULL CHECK (next_offset >= 0),
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      PRIMARY KEY (kafka_topic, kafka_partition)
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS todo_event_log_offsets`.execute(db);
}
