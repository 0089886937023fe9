import { sql, type Kysely } from 'kysely';

/** Additive: the functions keep their names, signatures and results. */
export const compatibilityLevel = 1;

/**
 * The trigger functions that keep `todo_group_activity_daily` on plain PostgreSQL are SECURITY DEFINER:
 * they run with their owner's rights whoever writes a row. They resolved names through the table's own
 * schema (`search_path = <schema>, pg_temp`), where a role allowed to CREATE in it (every PostgreSQL before
 * 15, and clusters upgraded from one) could define an `array_agg(varchar)` or a `varchar = varchar` that
 * beats the built-in one on argument types, and have it run as the owner on the next DELETE or UPDATE.
 * Now their search_path is `pg_catalog, pg_temp` and every object of ours is named with its schema: only
 * built-ins resolve unqualified. CREATE OR REPLACE keeps the functions' owner and grants. On a hypertable
 * (continuous aggregates, no such functions) there is nothing to do.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const schema = await triggerFunctionSchema(db);
  if (schema === undefined) return;
  const summary = sql.table(`${schema}.todo_group_activity_daily`);
  const events = sql.table(`${schema}.todo_event_logs`);
  const recountDays = sql`${sql.id(schema, 'todo_history_recount_days')}`;
  const pinned = sql`SET search_path = pg_catalog, pg_temp`;

  await sql`
    CREATE OR REPLACE FUNCTION ${sql.id(schema, 'todo_history_count_inserted_rows')}() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER ${pinned} AS $$
    BEGIN
      INSERT INTO ${summary} AS s (day, group_id, group_name, log_count, last_activity)
      SELECT date_bin(INTERVAL '1 day', timestamp, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS day,
             group_id, group_name, count(*), max(timestamp)
      FROM inserted_rows WHERE group_id IS NOT NULL
      GROUP BY group_id, group_name, day
      ORDER BY group_id, group_name, day
      ON CONFLICT (group_id, (coalesce(group_name, '')), (group_name IS NULL), day) DO UPDATE
        SET log_count = s.log_count + excluded.log_count,
            last_activity = greatest(s.last_activity, excluded.last_activity);
      RETURN NULL;
    END
    $$`.execute(db);
  await sql`
    CREATE OR REPLACE FUNCTION ${recountDays}(affected_groups VARCHAR[], affected_days TIMESTAMPTZ[]) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER ${pinned} AS $$
    BEGIN
      LOCK TABLE ${summary} IN EXCLUSIVE MODE;
      DELETE FROM ${summary} s USING unnest(affected_groups, affected_days) AS r(group_id, day)
      WHERE s.group_id = r.group_id AND s.day = r.day;
      INSERT INTO ${summary} (day, group_id, group_name, log_count, last_activity)
      SELECT r.day, e.group_id, e.group_name, count(*), max(e.timestamp)
      FROM unnest(affected_groups, affected_days) AS r(group_id, day)
      JOIN ${events} e ON e.group_id = r.group_id AND e.timestamp >= r.day AND e.timestamp < r.day + INTERVAL '1 day'
      GROUP BY r.day, e.group_id, e.group_name;
    END
    $$`.execute(db);
  await sql`
    CREATE OR REPLACE FUNCTION ${sql.id(schema, 'todo_history_recount_deleted_rows')}() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER ${pinned} AS $$
    DECLARE
      affected_groups VARCHAR[];
      affected_days TIMESTAMPTZ[];
    BEGIN
      SELECT array_agg(group_id), array_agg(day) INTO affected_groups, affected_days
      FROM (SELECT DISTINCT group_id, date_bin(INTERVAL '1 day', timestamp, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS day
            FROM removed_rows WHERE group_id IS NOT NULL) touched;
      IF affected_groups IS NOT NULL THEN
        PERFORM ${recountDays}(affected_groups, affected_days);
      END IF;
      RETURN NULL;
    END
    $$`.execute(db);
  await sql`
    CREATE OR REPLACE FUNCTION ${sql.id(schema, 'todo_history_recount_updated_rows')}() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER ${pinned} AS $$
    DECLARE
      affected_groups VARCHAR[];
      affected_days TIMESTAMPTZ[];
    BEGIN
      SELECT array_agg(group_id), array_agg(day) INTO affected_groups, affected_days
      FROM (SELECT DISTINCT group_id, date_bin(INTERVAL '1 day', timestamp, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS day
            FROM (SELECT group_id, timestamp FROM removed_rows UNION ALL SELECT group_id, timestamp FROM inserted_rows) changed WHERE group_id IS NOT NULL) touched;
      IF affected_groups IS NOT NULL THEN
        PERFORM ${recountDays}(affected_groups, affected_days);
      END IF;
      RETURN NULL;
    END
    $$`.execute(db);
  await sql`
    CREATE OR REPLACE FUNCTION ${sql.id(schema, 'todo_history_empty_summaries')}() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER ${pinned} AS $$
    BEGIN
      LOCK TABLE ${summary} IN EXCLUSIVE MODE;
      DELETE FROM ${summary};
      RETURN NULL;
    END
    $$`.execute(db);
}

/** Back to the table's schema first on the path; the qualified bodies resolve the same under it. */
export async function down(db: Kysely<unknown>): Promise<void> {
  const schema = await triggerFunctionSchema(db);
  if (schema === undefined) return;
  for (const name of ['todo_history_count_inserted_rows', 'todo_history_recount_deleted_rows', 'todo_history_recount_updated_rows', 'todo_history_empty_summaries']) {
    await sql`ALTER FUNCTION ${sql.id(schema, name)}() SET search_path = ${sql.id(schema)}, pg_temp`.execute(db);
  }
  await sql`ALTER FUNCTION ${sql.id(schema, 'todo_history_recount_days')}(varchar[], timestamptz[]) SET search_path = ${sql.id(schema)}, pg_temp`.execute(db);
}

/** The schema of the summary trigger functions (the current one), or undefined where they do not exist. */
async function triggerFunctionSchema(db: Kysely<unknown>): Promise<string | undefined> {
  const { rows } = await sql<{ schema: string }>`
    SELECT n.nspname AS schema FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE p.proname = 'todo_history_count_inserted_rows' AND n.nspname = current_schema()`.execute(db);
  return rows[0]?.schema;
}
