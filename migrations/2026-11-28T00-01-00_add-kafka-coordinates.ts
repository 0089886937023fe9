import { sql, type Kysely } from 'kysely';

/** Additive: builds of level 1 keep running on it (see README, "Schema compatibility"). */
export const compatibilityLevel = 1;

/**
 * Each row remembers the Kafka record it came from, and a unique index makes a redelivered record a
 * no-op (`ON CONFLICT DO NOTHING`). The index includes `timestamp` because a hypertable's unique indexes
 * must contain its time column; a record's timestamp never changes, so the index is still unique per
 * record. Rows the Go service stored keep NULL coordinates, which never conflict.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE todo_event_logs
      ADD COLUMN IF NOT EXISTS kafka_topic TEXT,
      ADD COLUMN IF NOT EXISTS kafka_partition INTEGER,
      ADD COLUMN IF NOT EXISTS kafka_offset BIGINT`.execute(db);
  await sql`
    CREATE UNIQUE INDEX IF NOT EXISTS todo_event_logs_kafka_coordinates_key
      ON todo_event_logs (kafka_topic, kafka_partition, kafka_offset, timestamp)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX IF EXISTS todo_event_logs_kafka_coordinates_key`.execute(db);
  await sql`
    ALTER TABLE todo_event_logs
      DROP COLUMN IF EXISTS kafka_topic,
      DROP COLUMN IF EXISTS kafka_partition,
      DROP COLUMN IF EXISTS kafka_offset`.execute(db);
}
