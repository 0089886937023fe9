import { sql, type Kysely } from 'kysely';

/** Additive: builds of level 1 keep running on it (see README, "Schema compatibility"). */
export const compatibilityLevel = 1;

/**
 * Turns the table into a TimescaleDB hypertable with 1-day chunks when the extension is installed on
 * the server; on plain PostgreSQL it changes nothing and everything else works the same.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    DO $$
    BEGIN
      IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') THEN
        CREATE EXTENSION IF NOT EXISTS timescaledb;
        PERFORM create_hypertable('todo_event_logs', 'timestamp',
          chunk_time_interval => INTERVAL '1 day', if_not_exists => TRUE, migrate_data => TRUE);
      ELSE
        RAISE NOTICE 'timescaledb is not available: todo_event_logs stays a plain table';
      END IF;
    END
    $$`.execute(db);
}

/** A hypertable cannot be turned back into a plain table in place; going down leaves it as it is. */
export async function down(): Promise<void> {}
