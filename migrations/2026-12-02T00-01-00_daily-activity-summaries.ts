import { sql, type Kysely } from 'kysely';

/** Additive: builds of level 1 keep running on it, and their inserts keep the summaries current. */
export const compatibilityLevel = 1;

/**
 * Outside one transaction, so that the backfill of a large table goes in batches that each hold writers
 * off briefly, instead of one that holds them off for all of it. Run again after an interruption, it
 * skips what committed and recounts every day again.
 */
export const runsInTransaction = false;

/** About this many rows per backfill batch (whole days: a day with more is one batch of its own). */
const rowsPerBatch = 100_000;

/**
 * Per-day summaries the summary queries read instead of scanning every row: `todo_group_activity_daily`
 * (group id and name) and, on a hypertable only, `todo_task_activity_daily` (group id, task id and name),
 * each with the bucket's event count and latest timestamp. Buckets are whole UTC days.
 *
 * On a hypertable both are TimescaleDB continuous aggregates with real-time aggregation and a refresh
 * policy; created WITH NO DATA because a migration runs in a transaction, so until the policy's first run
 * the real-time part computes them from the rows. Elsewhere only the group summary exists, a table
 * maintained by statement-level triggers in the inserting transaction (COPY, INSERT … ON CONFLICT: only
 * inserted rows count, older builds, manual inserts); a DELETE or UPDATE recomputes the group-days it
 * touched, a TRUNCATE empties it. A task summary kept the same way would cost the writer about one upsert
 * per row (README, "Summaries"), and the task query reads one group's rows through `idx_group_id` anyway.
 * The functions are SECURITY DEFINER, owned by the migrating role, so a role that may insert rows needs no
 * grant on the summary.
 *
 * The summary, its functions and triggers are created in one transaction; then the rows that were there
 * are counted in batches of whole days, each batch recounting its days from the rows under the same
 * EXCLUSIVE lock on the summary that a DELETE's recount takes. A writer's trigger waits for the batch,
 * so a row is either in the batch's snapshot or counted by its trigger after the batch, never both: the
 * result is the same as the single backfill this migration ran before, on databases where it has not run.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (await summaryExists(trx)) return;
    if (await isHypertable(trx)) await createContinuousAggregates(trx);
    else await createTriggerMaintainedTable(trx);
  });
  if (!(await isHypertable(db))) await backfillByDays(db);
}

async function summaryExists(db: Kysely<unknown>): Promise<boolean> {
  const { rows } = await sql<{ exists: boolean }>`SELECT to_regclass('todo_group_activity_daily') IS NOT NULL AS exists`.execute(db);
  return rows[0]?.exists === true;
}

/** Recounts every day that held rows when the triggers were created, about `rowsPerBatch` rows at a time. */
async function backfillByDays(db: Kysely<unknown>): Promise<void> {
  const { rows } = await sql<{ first: Date | null; last: Date | null }>`
    SELECT min(timestamp) AS first, max(timestamp) AS last FROM todo_event_logs`.execute(db);
  const first = rows[0]?.first;
  const last = rows[0]?.last;
  if (first == null || last == null) return;
  const end = await dayAfter(db, last);
  let from = await dayOf(db, first);
  while (from < end) {
    const to = await batchEnd(db, from, end);
    await db.transaction().execute(async (trx) => {
      await sql`LOCK TABLE todo_group_activity_daily IN EXCLUSIVE MODE`.execute(trx);
      await sql`DELETE FROM todo_group_activity_daily WHERE day >= ${from} AND day < ${to}`.execute(trx);
      await sql`
        INSERT INTO todo_group_activity_daily (day, group_id, group_name, log_count, last_activity)
        SELECT date_bin(INTERVAL '1 day', timestamp, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS day,
               group_id, group_name, count(*), max(timestamp)
        FROM todo_event_logs WHERE group_id IS NOT NULL AND timestamp >= ${from} AND timestamp < ${to}
        GROUP BY group_id, group_name, day`.execute(trx);
    });
    from = to;
  }
}

async function dayOf(db: Kysely<unknown>, time: Date): Promise<Date> {
  const { rows } = await sql<{ day: Date }>`
    SELECT date_bin(INTERVAL '1 day', ${time}::timestamptz, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS day`.execute(db);
  return rows[0]?.day ?? time;
}

async function dayAfter(db: Kysely<unknown>, time: Date): Promise<Date> {
  const { rows } = await sql<{ day: Date }>`
    SELECT date_bin(INTERVAL '1 day', ${time}::timestamptz, TIMESTAMPTZ '2000-01-01 00:00:00+00') + INTERVAL '1 day' AS day`.execute(db);
  return rows[0]?.day ?? time;
}

/** The start of the day after the one holding the `rowsPerBatch`-th row from `from` (through the primary key), at most `end`. */
async function batchEnd(db: Kysely<unknown>, from: Date, end: Date): Promise<Date> {
  const { rows } = await sql<{ timestamp: Date }>`
    SELECT timestamp FROM todo_event_logs WHERE timestamp >= ${from} AND timestamp < ${end}
    ORDER BY timestamp OFFSET ${rowsPerBatch} LIMIT 1`.execute(db);
  const boundary = rows[0]?.timestamp;
  if (boundary === undefined) return end;
  const next = await dayAfter(db, boundary);
  return next < end ? next : end;
}

/** The decision the hypertable migration took, read back from TimescaleDB's catalog. */
async function isHypertable(db: Kysely<unknown>): Promise<boolean> {
  const { rows } = await sql<{ installed: boolean }>`
    SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') AS installed`.execute(db);
  if (rows[0]?.installed !== true) return false;
  const hypertables = await sql<{ found: boolean }>`
    SELECT EXISTS (
      SELECT 1 FROM timescaledb_information.hypertables
      WHERE hypertable_name = 'todo_event_logs' AND hypertable_schema = current_schema()
    ) AS found`.execute(db);
  return hypertables.rows[0]?.found === true;
}

async function createContinuousAggregates(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE MATERIALIZED VIEW todo_group_activity_daily
      WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
    SELECT time_bucket(INTERVAL '1 day', timestamp) AS day, group_id, group_name,
           count(*) AS log_count, max(timestamp) AS last_activity
    FROM todo_event_logs
    WHERE group_id IS NOT NULL
    GROUP BY time_bucket(INTERVAL '1 day', timestamp), group_id, group_name
    WITH NO DATA`.execute(db);
  await sql`
    CREATE MATERIALIZED VIEW todo_task_activity_daily
      WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
    SELECT time_bucket(INTERVAL '1 day', timestamp) AS day, group_id, task_id, task_name,
           count(*) AS log_count, max(timestamp) AS last_activity
    FROM todo_event_logs
    WHERE group_id IS NOT NULL AND task_id IS NOT NULL
    GROUP BY time_bucket(INTERVAL '1 day', timestamp), group_id, task_id, task_name
    WITH NO DATA`.execute(db);
  // The newest day stays unmaterialized (served from the rows); a late row in a materialized day is
  // recorded by TimescaleDB's invalidation log and counted from the next run on.
  for (const view of ['todo_group_activity_daily', 'todo_task_activity_daily']) {
    await sql`
      SELECT add_continuous_aggregate_policy(${view}::regclass,
        start_offset => NULL, end_offset => INTERVAL '1 day', schedule_interval => INTERVAL '5 minutes')`.execute(db);
  }
}

async function createTriggerMaintainedTable(db: Kysely<unknown>): Promise<void> {
  // NULL names are a key of their own and PostgreSQL 14 has no NULLS NOT DISTINCT: the unique index
  // keys on the name's text and on whether it is NULL.
  await sql`
    CREATE TABLE todo_group_activity_daily (
      day TIMESTAMPTZ NOT NULL,
      group_id VARCHAR(100) NOT NULL,
      group_name VARCHAR(255),
      log_count BIGINT NOT NULL,
      last_activity TIMESTAMPTZ NOT NULL
    )`.execute(db);
  await sql`
    CREATE UNIQUE INDEX todo_group_activity_daily_key
      ON todo_group_activity_daily (group_id, (coalesce(group_name, '')), (group_name IS NULL), day)`.execute(db);

  // Upserts run in key order, so two transactions that touch the same groups lock their summary rows in
  // the same order and cannot deadlock each other through one statement each.
  await sql`
    CREATE FUNCTION todo_history_count_inserted_rows() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER AS $$
    BEGIN
      INSERT INTO todo_group_activity_daily AS s (day, group_id, group_name, log_count, last_activity)
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

  // A removed row may have held a bucket's latest timestamp, which no arithmetic can undo: the group-days
  // it touched are counted again from the rows. The exclusive lock makes concurrent writers wait for this
  // transaction, so none of their increments lands on a bucket being recounted.
  await sql`
    CREATE FUNCTION todo_history_recount_days(affected_groups VARCHAR[], affected_days TIMESTAMPTZ[]) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER AS $$
    BEGIN
      LOCK TABLE todo_group_activity_daily IN EXCLUSIVE MODE;
      DELETE FROM todo_group_activity_daily s USING unnest(affected_groups, affected_days) AS r(group_id, day)
      WHERE s.group_id = r.group_id AND s.day = r.day;
      INSERT INTO todo_group_activity_daily (day, group_id, group_name, log_count, last_activity)
      SELECT r.day, e.group_id, e.group_name, count(*), max(e.timestamp)
      FROM unnest(affected_groups, affected_days) AS r(group_id, day)
      JOIN todo_event_logs e ON e.group_id = r.group_id AND e.timestamp >= r.day AND e.timestamp < r.day + INTERVAL '1 day'
      GROUP BY r.day, e.group_id, e.group_name;
    END
    $$`.execute(db);
  await sql`
    CREATE FUNCTION todo_history_recount_deleted_rows() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER AS $$
    DECLARE
      affected_groups VARCHAR[];
      affected_days TIMESTAMPTZ[];
    BEGIN
      SELECT array_agg(group_id), array_agg(day) INTO affected_groups, affected_days
      FROM (SELECT DISTINCT group_id, date_bin(INTERVAL '1 day', timestamp, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS day
            FROM removed_rows WHERE group_id IS NOT NULL) touched;
      IF affected_groups IS NOT NULL THEN
        PERFORM todo_history_recount_days(affected_groups, affected_days);
      END IF;
      RETURN NULL;
    END
    $$`.execute(db);
  await sql`
    CREATE FUNCTION todo_history_recount_updated_rows() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER AS $$
    DECLARE
      affected_groups VARCHAR[];
      affected_days TIMESTAMPTZ[];
    BEGIN
      SELECT array_agg(group_id), array_agg(day) INTO affected_groups, affected_days
      FROM (SELECT DISTINCT group_id, date_bin(INTERVAL '1 day', timestamp, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS day
            FROM (SELECT group_id, timestamp FROM removed_rows UNION ALL SELECT group_id, timestamp FROM inserted_rows) changed WHERE group_id IS NOT NULL) touched;
      IF affected_groups IS NOT NULL THEN
        PERFORM todo_history_recount_days(affected_groups, affected_days);
      END IF;
      RETURN NULL;
    END
    $$`.execute(db);
  await sql`
    CREATE FUNCTION todo_history_empty_summaries() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER AS $$
    BEGIN
      LOCK TABLE todo_group_activity_daily IN EXCLUSIVE MODE;
      DELETE FROM todo_group_activity_daily;
      RETURN NULL;
    END
    $$`.execute(db);
  // A SECURITY DEFINER function must not resolve names through a search_path its caller controls.
  await sql`
    DO $$
    DECLARE
      fn text;
    BEGIN
      FOREACH fn IN ARRAY ARRAY['todo_history_count_inserted_rows()', 'todo_history_recount_deleted_rows()',
        'todo_history_recount_updated_rows()', 'todo_history_empty_summaries()',
        'todo_history_recount_days(varchar[], timestamptz[])'] LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = %I, pg_temp', fn, current_schema());
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', fn);
      END LOOP;
    END
    $$`.execute(db);

  // Every row inserted after these commit is counted by the triggers; the ones before, by the backfill.
  await sql`
    CREATE TRIGGER todo_history_count_inserted_rows AFTER INSERT ON todo_event_logs
    REFERENCING NEW TABLE AS inserted_rows FOR EACH STATEMENT EXECUTE FUNCTION todo_history_count_inserted_rows()`.execute(db);
  await sql`
    CREATE TRIGGER todo_history_recount_deleted_rows AFTER DELETE ON todo_event_logs
    REFERENCING OLD TABLE AS removed_rows FOR EACH STATEMENT EXECUTE FUNCTION todo_history_recount_deleted_rows()`.execute(db);
  await sql`
    CREATE TRIGGER todo_history_recount_updated_rows AFTER UPDATE ON todo_event_logs
    REFERENCING OLD TABLE AS removed_rows NEW TABLE AS inserted_rows
    FOR EACH STATEMENT EXECUTE FUNCTION todo_history_recount_updated_rows()`.execute(db);
  await sql`
    CREATE TRIGGER todo_history_empty_summaries AFTER TRUNCATE ON todo_event_logs
    FOR EACH STATEMENT EXECUTE FUNCTION todo_history_empty_summaries()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const { rows } = await sql<{ kind: string | null }>`
    SELECT c.relkind::text AS kind FROM pg_class c WHERE c.oid = to_regclass('todo_group_activity_daily')`.execute(db);
  if (rows[0]?.kind === 'v') {
    await sql`DROP MATERIALIZED VIEW IF EXISTS todo_group_activity_daily`.execute(db);
    await sql`DROP MATERIALIZED VIEW IF EXISTS todo_task_activity_daily`.execute(db);
    return;
  }
  await sql`DROP TRIGGER IF EXISTS todo_history_count_inserted_rows ON todo_event_logs`.execute(db);
  await sql`DROP TRIGGER IF EXISTS todo_history_recount_deleted_rows ON todo_event_logs`.execute(db);
  await sql`DROP TRIGGER IF EXISTS todo_history_recount_updated_rows ON todo_event_logs`.execute(db);
  await sql`DROP TRIGGER IF EXISTS todo_history_empty_summaries ON todo_event_logs`.execute(db);
  await sql`DROP FUNCTION IF EXISTS todo_history_count_inserted_rows()`.execute(db);
  await sql`DROP FUNCTION IF EXISTS todo_history_recount_deleted_rows()`.execute(db);
  await sql`DROP FUNCTION IF EXISTS todo_history_recount_updated_rows()`.execute(db);
  await sql`DROP FUNCTION IF EXISTS todo_history_empty_summaries()`.execute(db);
  await sql`DROP FUNCTION IF EXISTS todo_history_recount_days(varchar[], timestamptz[])`.execute(db);
  await sql`DROP TABLE IF EXISTS todo_group_activity_daily`.execute(db);
}
