import { sql, type Kysely } from 'kysely';

/** Where the generated rows start; they are spread evenly over `days` from here. */
const firstRowTime = '2025-01-01T00:00:00Z';

/**
 * The Go service's `todo_event_logs` as its `timescale.go` creates it (32-bit `id SERIAL`, `DEFAULT NOW()`,
 * its four indexes), filled with `rows` generated rows spread over `days` (default a year): 1,000 groups,
 * 100,000 tasks.
 * The rows are loaded before the primary key and the indexes are built, as a restored dump would be, so
 * ten million take minutes rather than an hour; the sequence then continues after them.
 */
export async function createGoTable<DB>(db: Kysely<DB>, rows: number, { days = 365 }: { days?: number } = {}): Promise<void> {
  await sql`
    CREATE TABLE todo_event_logs (
      id SERIAL, timestamp TIMESTAMPTZ NOT NULL DEFAULT NOW(), event_type VARCHAR(50) NOT NULL,
      entity VARCHAR(50) NOT NULL, entity_id VARCHAR(100) NOT NULL, group_id VARCHAR(100),
      group_name VARCHAR(255), task_id VARCHAR(100), task_name VARCHAR(255), changes TEXT,
      user_name VARCHAR(100), workspace VARCHAR(100), event_data JSONB)`.execute(db);
  const secondsApart = (days * 86_400) / Math.max(rows, 1);
  await sql`
    INSERT INTO todo_event_logs (id, timestamp, event_type, entity, entity_id, group_id, group_name, task_id, task_name, changes, user_name, workspace)
    SELECT i, ${firstRowTime}::timestamptz + make_interval(secs => i * ${secondsApart}::float8),
           (ARRAY['created', 'updated', 'completed', 'deleted'])[1 + i % 4],
           CASE WHEN i % 10 = 0 THEN 'Group' ELSE 'Task' END,
           CASE WHEN i % 10 = 0 THEN 'g-' || i % 1000 ELSE 't-' || i % 100000 END,
           'g-' || i % 1000, 'Group ' || i % 1000,
           CASE WHEN i % 10 = 0 THEN NULL ELSE 't-' || i % 100000 END,
           CASE WHEN i % 10 = 0 THEN NULL ELSE 'Task ' || i % 100000 END,
           'Task ''Task ' || i % 100000 || ''' was updated', 'user-' || i % 500, 'default'
    FROM generate_series(1, ${rows}::integer) AS i`.execute(db);
  await sql`ALTER TABLE todo_event_logs ADD PRIMARY KEY (timestamp, id)`.execute(db);
  await sql`CREATE INDEX IF NOT EXISTS idx_event_type ON todo_event_logs (event_type, timestamp DESC)`.execute(db);
  await sql`CREATE INDEX IF NOT EXISTS idx_group_id ON todo_event_logs (group_id, timestamp DESC)`.execute(db);
  await sql`CREATE INDEX IF NOT EXISTS idx_task_id ON todo_event_logs (task_id, timestamp DESC)`.execute(db);
  await sql`CREATE INDEX IF NOT EXISTS idx_entity ON todo_event_logs (entity, entity_id, timestamp DESC)`.execute(db);
  await sql`SELECT setval(pg_get_serial_sequence('todo_event_logs', 'id'), greatest(${rows}::integer, 1))`.execute(db);
  await sql`VACUUM ANALYZE todo_event_logs`.execute(db);
}

/** One INSERT as the Go service's `InsertLog` sends it (no id, no Kafka coordinates), for `entityId`. */
export function goInsert(entityId: string, groupId: string) {
  return sql`
    INSERT INTO todo_event_logs (event_type, entity, entity_id, group_id, group_name, task_id, task_name, changes, user_name, workspace, timestamp)
    VALUES ('created', 'Task', ${entityId}, ${groupId}, ${`Group ${groupId}`}, ${entityId}, 'Written during migrate', 'made by the Go service', 'go', 'default', now())`;
}
