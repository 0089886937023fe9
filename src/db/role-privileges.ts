import { sql, type Kysely } from 'kysely';

/** What a process does with the database: `consume` writes the history, `read` serves `todo-history logs`. */
export type DatabaseUse = 'consume' | 'read';

/** A privilege the connected role lacks, with the statement (run by the schema's owner) that grants it. */
export interface MissingPrivilege {
  privilege: string;
  on: string;
  grant: string;
}

interface PrivilegeRow {
  role: string;
  id_sequence: string | null;
  insert_rows: boolean | null;
  select_rows: boolean | null;
  use_sequence: boolean | null;
  read_migrations: boolean | null;
  read_levels: boolean | null;
  select_offsets: boolean | null;
  insert_offsets: boolean | null;
  update_offsets: boolean | null;
  read_group_summary: boolean | null;
  read_task_summary: boolean | null;
  read_group_hourly: boolean | null;
  read_task_hourly: boolean | null;
}

/**
 * The least the role needs, checked with PostgreSQL's own `has_*_privilege`: `consume` inserts rows (the id
 * sequence's `nextval` needs USAGE), reads and advances the partitions' stored offsets, and reads the
 * migration tables for its schema check; `read` selects rows and each per-day and per-hour summary that
 * exists (the task summaries only on TimescaleDB). The triggers that keep the group summary on plain PostgreSQL are
 * SECURITY DEFINER, so writing rows needs nothing on it. A table that does not exist is not judged here:
 * the schema check says what to migrate.
 */
export async function missingPrivileges<DB>(db: Kysely<DB>, use: DatabaseUse): Promise<{ role: string; missing: MissingPrivilege[] }> {
  const { rows } = await sql<PrivilegeRow>`
    WITH tables AS (
      SELECT to_regclass('todo_event_logs') AS events,
             to_regclass('kysely_migration') AS migrations,
             to_regclass('todo_history_migration_level') AS levels,
             to_regclass('todo_event_log_offsets') AS offsets,
             to_regclass('todo_group_activity_daily') AS group_summary,
             to_regclass('todo_task_activity_daily') AS task_summary,
             to_regclass('todo_group_activity_hourly') AS group_hourly,
             to_regclass('todo_task_activity_hourly') AS task_hourly
    ), sequences AS (
      SELECT tables.*, CASE WHEN events IS NULL THEN NULL ELSE pg_get_serial_sequence('todo_event_logs', 'id') END AS seq
      FROM tables
    )
    SELECT current_user AS role,
           seq AS id_sequence,
           CASE WHEN events IS NULL THEN NULL ELSE has_table_privilege(events, 'INSERT') END AS insert_rows,
           CASE WHEN events IS NULL THEN NULL ELSE has_table_privilege(events, 'SELECT') END AS select_rows,
           CASE WHEN seq IS NULL THEN NULL ELSE has_sequence_privilege(seq, 'USAGE') END AS use_sequence,
           CASE WHEN migrations IS NULL THEN NULL ELSE has_table_privilege(migrations, 'SELECT') END AS read_migrations,
           CASE WHEN levels IS NULL THEN NULL ELSE has_table_privilege(levels, 'SELECT') END AS read_levels,
           CASE WHEN offsets IS NULL THEN NULL ELSE has_table_privilege(offsets, 'SELECT') END AS select_offsets,
           CASE WHEN offsets IS NULL THEN NULL ELSE has_table_privilege(offsets, 'INSERT') END AS insert_offsets,
           CASE WHEN offsets IS NULL THEN NULL ELSE has_table_privilege(offsets, 'UPDATE') END AS update_offsets,
           CASE WHEN group_summary IS NULL THEN NULL ELSE has_table_privilege(group_summary, 'SELECT') END AS read_group_summary,
           CASE WHEN task_summary IS NULL THEN NULL ELSE has_table_privilege(task_summary, 'SELECT') END AS read_task_summary,
           CASE WHEN group_hourly IS NULL THEN NULL ELSE has_table_privilege(group_hourly, 'SELECT') END AS read_group_hourly,
           CASE WHEN task_hourly IS NULL THEN NULL ELSE has_table_privilege(task_hourly, 'SELECT') END AS read_task_hourly
    FROM sequences`.execute(db);
  const row = rows[0];
  if (row === undefined) throw new Error('the privilege query returned no row');
  const role = quoteIdentifier(row.role);
  const missing: MissingPrivilege[] = [];
  const need = (held: boolean | null, privilege: string, on: string, grantOn: string): void => {
    if (held === false) missing.push({ privilege, on, grant: `GRANT ${privilege} ON ${grantOn} TO ${role}` });
  };
  if (use === 'consume') need(row.insert_rows, 'INSERT', 'table todo_event_logs', 'todo_event_logs');
  need(row.select_rows, 'SELECT', 'table todo_event_logs', 'todo_event_logs');
  if (use === 'consume') {
    if (row.id_sequence !== null) need(row.use_sequence, 'USAGE', `sequence ${row.id_sequence}`, `SEQUENCE ${row.id_sequence}`);
    need(row.select_offsets, 'SELECT', 'table todo_event_log_offsets', 'todo_event_log_offsets');
    need(row.insert_offsets, 'INSERT', 'table todo_event_log_offsets', 'todo_event_log_offsets');
    need(row.update_offsets, 'UPDATE', 'table todo_event_log_offsets', 'todo_event_log_offsets');
    need(row.read_migrations, 'SELECT', 'table kysely_migration', 'kysely_migration');
    need(row.read_levels, 'SELECT', 'table todo_history_migration_level', 'todo_history_migration_level');
  } else {
    need(row.read_group_summary, 'SELECT', 'table todo_group_activity_daily', 'todo_group_activity_daily');
    need(row.read_task_summary, 'SELECT', 'table todo_task_activity_daily', 'todo_task_activity_daily');
    need(row.read_group_hourly, 'SELECT', 'table todo_group_activity_hourly', 'todo_group_activity_hourly');
    need(row.read_task_hourly, 'SELECT', 'table todo_task_activity_hourly', 'todo_task_activity_hourly');
  }
  return { role: row.role, missing };
}

function quoteIdentifier(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

/** The connected role lacks privileges this process needs; the message lists the GRANTs that fix it. */
export class MissingPrivilegesError extends Error {
  readonly code = 'insufficient_privilege';
  readonly retryable = false;

  constructor(
    readonly role: string,
    readonly missing: readonly MissingPrivilege[],
  ) {
    super(
      `database role "${role}" lacks ${missing.map((m) => `${m.privilege} on ${m.on}`).join(', ')}; ` +
        `as the schema's owner run: ${missing.map((m) => `${m.grant};`).join(' ')} (README, "Database roles")`,
    );
    this.name = 'MissingPrivilegesError';
  }
}

/** @throws MissingPrivilegesError when the connected role lacks what `use` needs. */
export async function assertPrivileges<DB>(db: Kysely<DB>, use: DatabaseUse): Promise<void> {
  const { role, missing } = await missingPrivileges(db, use);
  if (missing.length > 0) throw new MissingPrivilegesError(role, missing);
}
