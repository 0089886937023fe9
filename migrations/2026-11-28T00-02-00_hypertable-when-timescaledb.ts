import { sql, type Kysely } from 'kysely';

/** Additive: builds of level 1 keep running on it (see README, "Schema compatibility"). */
export const compatibilityLevel = 1;

/**
 * Turns the table into a TimescaleDB hypertable with 1-day chunks when the migrating session says
 * TimescaleDB can be used; otherwise it changes nothing and everything else works the same.
 *
 * `todo-history migrate` sets `todo_history.timescaledb` on its connections to `on` only once
 * `CREATE EXTENSION timescaledb` has succeeded on a connection of its own (DATABASE_TIMESCALEDB), because
 * an extension that is installed but not preloaded ends the session with a FATAL. A session without the
 * setting (migrations run by other code) uses TimescaleDB only when the extension is already created.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    DO $$
    DECLARE
      decided text := current_setting('todo_history.timescaledb', true);
    BEGIN
      IF decided = 'on'
         OR (coalesce(decided, '') = '' AND EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')) THEN
        CREATE EXTENSION IF NOT EXISTS timescaledb;
        PERFORM create_hypertable('todo_event_logs', 'timestamp',
          chunk_time_interval => INTERVAL '1 day', if_not_exists => TRUE, migrate_data => TRUE);
      ELSE
        RAISE NOTICE 'timescaledb is not to be used: todo_event_logs stays a plain table';
      END IF;
    END
    $$`.execute(db);
}

/** A hypertable cannot be turned back into a plain table in place; going down leaves it as it is. */
export async function down(): Promise<void> {}
