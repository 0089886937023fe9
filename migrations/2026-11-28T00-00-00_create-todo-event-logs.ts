import { sql, type Kysely } from 'kysely';

/** Level 1: the schema the first build runs on (see README, "Schema compatibility"). */
export const compatibilityLevel = 1;

/**
 * The Go service's table, columns and indexes. `IF NOT EXISTS` everywhere so a table the Go service
 * already created is adopted as it is, rows and all. Differences from the Go DDL: `id` is 64-bit (a busy
 * topic outgrows SERIAL) and `timestamp` has no `DEFAULT NOW()` (a row's time is always the event's).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE IF NOT EXISTS todo_event_logs (
      id BIGSERIAL,
      timestamp TIMESTAMPTZ NOT NULL,
      event_type VARCHAR(50) NOT NULL,
      entity VARCHAR(50) NOT NULL,
      entity_id VARCHAR(100) NOT NULL,
      group_id VARCHAR(100),
      group_name VARCHAR(255),
      task_id VARCHAR(100),
      task_name VARCHAR(255),
      changes TEXT,
      user_name VARCHAR(100),
      workspace VARCHAR(100),
      event_data JSONB,
      PRIMARY KEY (timestamp, id)
    )`.execute(db);
  await sql`CREATE INDEX IF NOT EXISTS idx_event_type ON todo_event_logs (event_type, timestamp DESC)`.execute(db);
  await sql`CREATE INDEX IF NOT EXISTS idx_group_id ON todo_event_logs (group_id, timestamp DESC)`.execute(db);
  await sql`CREATE INDEX IF NOT EXISTS idx_task_id ON todo_event_logs (task_id, timestamp DESC)`.execute(db);
  await sql`CREATE INDEX IF NOT EXISTS idx_entity ON todo_event_logs (entity, entity_id, timestamp DESC)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS todo_event_logs`.execute(db);
}
