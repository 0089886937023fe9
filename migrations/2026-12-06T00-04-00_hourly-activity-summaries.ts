import { sql, type Kysely, type RawBuilder } from 'kysely';

/** Additive: builds of level 1 keep reading the per-day summaries, and their inserts keep the hourly ones current. */
export const compatibilityLevel = 1;

/**
 * Outside one transaction, so that the backfill of a large table goes in batches that each hold writers
 * off briefly. Run again after an interruption, it skips what committed and recounts every hour again.
 */
export const runsInTransaction = false;

/** About this many rows per backfill batch (whole days: a day with more is one batch of its own). */
const rowsPerBatch = 100_000;

/**
 * Per-hour summaries beside the per-day ones, so a window's partial days are read from whole hours and
 * at most two partial hours of rows: `todo_group_activity_hourly` and, on a hypertable only,
 * `todo_task_activity_hourly`, with the columns of their per-day twins and `hour` for `day`.
 *
 * On a hypertable they are continuous aggregates like the per-day ones (real-time, WITH NO DATA, filled by
 * their policy), whose newest hour stays unmaterialized. Elsewhere the group summary is a table kept by the
 * same statement-level triggers as the per-day one: the insert trigger's function now upserts both (per day
 * first, then per hour: one lock order for every writer), and a DELETE or UPDATE recounts the group-hours it
 * touched as well as the group-days. The functions keep the pinned `pg_catalog, pg_temp` search_path with
 * every object of ours named with its schema. The table, its functions and grants are created in one
 * transaction; then the rows that were there are counted in batches of whole days, each recounting its
 * hours under the EXCLUSIVE lock on the hourly summary that a DELETE's recount takes: a writer's trigger
 * waits for the batch, so a row is either in the batch's snapshot or counted by its trigger after it.
 * The tables get an index on their bucket, which the read queries walk newest first (on TimescaleDB the
 * materialization's own index on the bucket serves). Roles that may read the per-day summary get SELECT on
 * the hourly one.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const schema = await currentSchema(db);
  const continuous = await isContinuousAggregate(db);
  await db.transaction().execute(async (trx) => {
    if (await hourlySummaryExists(trx)) return;
    if (continuous) await createContinuousAggregates(trx, schema);
    else await createTriggerMaintainedTable(trx, schema);
    await copyReadGrants(trx, 'todo_group_activity_daily', 'todo_group_activity_hourly');
    await copyReadGrants(trx, 'todo_task_activity_daily', 'todo_task_activity_hourly');
  });
  if (!continuous) await backfillByDays(db, schema);
}

async function hourlySummaryExists(db: Kysely<unknown>): Promise<boolean> {
  const { rows } = await sql<{ exists: boolean }>`SELECT to_regclass('todo_group_activity_hourly') IS NOT NULL AS exists`.execute(db);
  return rows[0]?.exists === true;
}

/** Recounts the hours of every day that held rows when the trigger changed, about `rowsPerBatch` rows at a time. */
async function backfillByDays(db: Kysely<unknown>, schema: string): Promise<void> {
  const events = sql.table(`${schema}.todo_event_logs`);
  const hourly = sql.table(`${schema}.todo_group_activity_hourly`);
  const { rows } = await sql<{ first: Date | null; last: Date | null }>`SELECT min(timestamp) AS first, max(timestamp) AS last FROM ${events}`.execute(db);
  const first = rows[0]?.first;
  const last = rows[0]?.last;
  if (first == null || last == null) return;
  const end = await dayAfter(db, last);
  let from = await dayOf(db, first);
  while (from < end) {
    const to = await batchEnd(db, events, from, end);
    await db.transaction().execute(async (trx) => {
      await sql`LOCK TABLE ${hourly} IN EXCLUSIVE MODE`.execute(trx);
      await sql`DELETE FROM ${hourly} WHERE hour >= ${from} AND hour < ${to}`.execute(trx);
      await sql`
        INSERT INTO ${hourly} (hour, group_id, group_name, log_count, last_activity)
        SELECT date_bin(INTERVAL '1 hour', timestamp, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS hour,
               group_id, group_name, count(*), max(timestamp)
        FROM ${events} WHERE group_id IS NOT NULL AND timestamp >= ${from} AND timestamp < ${to}
        GROUP BY group_id, group_name, hour`.execute(trx);
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
async function batchEnd(db: Kysely<unknown>, events: RawBuilder<unknown>, from: Date, end: Date): Promise<Date> {
  const { rows } = await sql<{ timestamp: Date }>`
    SELECT timestamp FROM ${events} WHERE timestamp >= ${from} AND timestamp < ${end}
    ORDER BY timestamp OFFSET ${rowsPerBatch} LIMIT 1`.execute(db);
  const boundary = rows[0]?.timestamp;
  if (boundary === undefined) return end;
  const next = await dayAfter(db, boundary);
  return next < end ? next : end;
}

async function currentSchema(db: Kysely<unknown>): Promise<string> {
  const { rows } = await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(db);
  const schema = rows[0]?.schema;
  if (schema === undefined) throw new Error('no current schema to create the hourly summaries in');
  return schema;
}

/** What the per-day migration created: a continuous aggregate on a hypertable, a table elsewhere. */
async function isContinuousAggregate(db: Kysely<unknown>): Promise<boolean> {
  const { rows } = await sql<{ kind: string | null }>`
    SELECT c.relkind::text AS kind FROM pg_class c WHERE c.oid = to_regclass('todo_group_activity_daily')`.execute(db);
  return rows[0]?.kind === 'v';
}

async function createContinuousAggregates(db: Kysely<unknown>, schema: string): Promise<void> {
  const events = sql.table(`${schema}.todo_event_logs`);
  await sql`
    CREATE MATERIALIZED VIEW ${sql.table(`${schema}.todo_group_activity_hourly`)}
      WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
    SELECT time_bucket(INTERVAL '1 hour', timestamp) AS hour, group_id, group_name,
           count(*) AS log_count, max(timestamp) AS last_activity
    FROM ${events}
    WHERE group_id IS NOT NULL
    GROUP BY time_bucket(INTERVAL '1 hour', timestamp), group_id, group_name
    WITH NO DATA`.execute(db);
  await sql`
    CREATE MATERIALIZED VIEW ${sql.table(`${schema}.todo_task_activity_hourly`)}
      WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
    SELECT time_bucket(INTERVAL '1 hour', timestamp) AS hour, group_id, task_id, task_name,
           count(*) AS log_count, max(timestamp) AS last_activity
    FROM ${events}
    WHERE group_id IS NOT NULL AND task_id IS NOT NULL
    GROUP BY time_bucket(INTERVAL '1 hour', timestamp), group_id, task_id, task_name
    WITH NO DATA`.execute(db);
  for (const view of ['todo_group_activity_hourly', 'todo_task_activity_hourly']) {
    const qualified = `${schema}.${view}`;
    await sql`
      SELECT add_continuous_aggregate_policy(${qualified}::regclass,
        start_offset => NULL, end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '5 minutes')`.execute(db);
  }
}

async function createTriggerMaintainedTable(db: Kysely<unknown>, schema: string): Promise<void> {
  const events = sql.table(`${schema}.todo_event_logs`);
  const daily = sql.table(`${schema}.todo_group_activity_daily`);
  const hourly = sql.table(`${schema}.todo_group_activity_hourly`);
  const recountDays = sql`${sql.id(schema, 'todo_history_recount_days')}`;
  const recountHours = sql`${sql.id(schema, 'todo_history_recount_hours')}`;
  const pinned = sql`SET search_path = pg_catalog, pg_temp`;

  await sql`LOCK TABLE ${events} IN SHARE ROW EXCLUSIVE MODE`.execute(db);
  await sql`
    CREATE TABLE ${hourly} (
      hour TIMESTAMPTZ NOT NULL,
      group_id VARCHAR(100) NOT NULL,
      group_name VARCHAR(255),
      log_count BIGINT NOT NULL,
      last_activity TIMESTAMPTZ NOT NULL
    )`.execute(db);
  await sql`
    CREATE UNIQUE INDEX todo_group_activity_hourly_key
      ON ${hourly} (group_id, (coalesce(group_name, '')), (group_name IS NULL), hour)`.execute(db);
  // The bucket, not last_activity: an upsert changes no indexed column, so it stays a HOT update (an index
  // on last_activity made the insert trigger 3.6 times as slow, measured).
  await sql`CREATE INDEX todo_group_activity_hourly_hour ON ${hourly} (hour)`.execute(db);
  await sql`CREATE INDEX todo_group_activity_daily_day ON ${daily} (day)`.execute(db);

  await sql`
    CREATE OR REPLACE FUNCTION ${sql.id(schema, 'todo_history_count_inserted_rows')}() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER ${pinned} AS $$
    BEGIN
      INSERT INTO ${daily} AS s (day, group_id, group_name, log_count, last_activity)
      SELECT date_bin(INTERVAL '1 day', timestamp, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS day,
             group_id, group_name, count(*), max(timestamp)
      FROM inserted_rows WHERE group_id IS NOT NULL
      GROUP BY group_id, group_name, day
      ORDER BY group_id, group_name, day
      ON CONFLICT (group_id, (coalesce(group_name, '')), (group_name IS NULL), day) DO UPDATE
        SET log_count = s.log_count + excluded.log_count,
            last_activity = greatest(s.last_activity, excluded.last_activity);
      INSERT INTO ${hourly} AS s (hour, group_id, group_name, log_count, last_activity)
      SELECT date_bin(INTERVAL '1 hour', timestamp, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS hour,
             group_id, group_name, count(*), max(timestamp)
      FROM inserted_rows WHERE group_id IS NOT NULL
      GROUP BY group_id, group_name, hour
      ORDER BY group_id, group_name, hour
      ON CONFLICT (group_id, (coalesce(group_name, '')), (group_name IS NULL), hour) DO UPDATE
        SET log_count = s.log_count + excluded.log_count,
            last_activity = greatest(s.last_activity, excluded.last_activity);
      RETURN NULL;
    END
    $$`.execute(db);

  await sql`
    CREATE FUNCTION ${recountHours}(affected_groups VARCHAR[], affected_hours TIMESTAMPTZ[]) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER ${pinned} AS $$
    BEGIN
      LOCK TABLE ${hourly} IN EXCLUSIVE MODE;
      DELETE FROM ${hourly} s USING unnest(affected_groups, affected_hours) AS r(group_id, hour)
      WHERE s.group_id = r.group_id AND s.hour = r.hour;
      INSERT INTO ${hourly} (hour, group_id, group_name, log_count, last_activity)
      SELECT r.hour, e.group_id, e.group_name, count(*), max(e.timestamp)
      FROM unnest(affected_groups, affected_hours) AS r(group_id, hour)
      JOIN ${events} e ON e.group_id = r.group_id AND e.timestamp >= r.hour AND e.timestamp < r.hour + INTERVAL '1 hour'
      GROUP BY r.hour, e.group_id, e.group_name;
    END
    $$`.execute(db);
  await sql`REVOKE ALL ON FUNCTION ${recountHours}(varchar[], timestamptz[]) FROM PUBLIC`.execute(db);

  // The days are recounted before the hours: the same order in which the insert trigger locks them.
  const recountTouched = (touched: RawBuilder<unknown>) => sql`
    DECLARE
      affected_groups VARCHAR[];
      affected_days TIMESTAMPTZ[];
      affected_hours TIMESTAMPTZ[];
    BEGIN
      SELECT array_agg(group_id), array_agg(day) INTO affected_groups, affected_days
      FROM (SELECT DISTINCT group_id, date_bin(INTERVAL '1 day', timestamp, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS day
            FROM ${touched} changed WHERE group_id IS NOT NULL) days;
      IF affected_groups IS NOT NULL THEN
        PERFORM ${recountDays}(affected_groups, affected_days);
      END IF;
      SELECT array_agg(group_id), array_agg(hour) INTO affected_groups, affected_hours
      FROM (SELECT DISTINCT group_id, date_bin(INTERVAL '1 hour', timestamp, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS hour
            FROM ${touched} changed WHERE group_id IS NOT NULL) hours;
      IF affected_groups IS NOT NULL THEN
        PERFORM ${recountHours}(affected_groups, affected_hours);
      END IF;
      RETURN NULL;
    END`;
  await sql`
    CREATE OR REPLACE FUNCTION ${sql.id(schema, 'todo_history_recount_deleted_rows')}() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER ${pinned} AS $$
    ${recountTouched(sql`removed_rows`)}
    $$`.execute(db);
  await sql`
    CREATE OR REPLACE FUNCTION ${sql.id(schema, 'todo_history_recount_updated_rows')}() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER ${pinned} AS $$
    ${recountTouched(sql`(SELECT group_id, timestamp FROM removed_rows UNION ALL SELECT group_id, timestamp FROM inserted_rows)`)}
    $$`.execute(db);
  await sql`
    CREATE OR REPLACE FUNCTION ${sql.id(schema, 'todo_history_empty_summaries')}() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER ${pinned} AS $$
    BEGIN
      LOCK TABLE ${daily} IN EXCLUSIVE MODE;
      LOCK TABLE ${hourly} IN EXCLUSIVE MODE;
      DELETE FROM ${daily};
      DELETE FROM ${hourly};
      RETURN NULL;
    END
    $$`.execute(db);

}

/** Grants SELECT on `to` to every role that holds it on `from`, where both exist. */
async function copyReadGrants(db: Kysely<unknown>, from: string, to: string): Promise<void> {
  const { rows } = await sql<{ grantee: string }>`
    SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END AS grantee
    FROM pg_class c, aclexplode(c.relacl) a
    WHERE c.oid = to_regclass(${from}) AND a.privilege_type = 'SELECT' AND a.grantee <> c.relowner
      AND to_regclass(${to}) IS NOT NULL`.execute(db);
  for (const { grantee } of rows) await sql`GRANT SELECT ON ${sql.table(to)} TO ${sql.raw(grantee)}`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (await isContinuousAggregate(db)) {
    await sql`DROP MATERIALIZED VIEW IF EXISTS todo_group_activity_hourly`.execute(db);
    await sql`DROP MATERIALIZED VIEW IF EXISTS todo_task_activity_hourly`.execute(db);
    return;
  }
  const schema = await currentSchema(db);
  const daily = sql.table(`${schema}.todo_group_activity_daily`);
  const recountDays = sql`${sql.id(schema, 'todo_history_recount_days')}`;
  const pinned = sql`SET search_path = pg_catalog, pg_temp`;
  await sql`LOCK TABLE ${sql.table(`${schema}.todo_event_logs`)} IN SHARE ROW EXCLUSIVE MODE`.execute(db);
  await sql`
    CREATE OR REPLACE FUNCTION ${sql.id(schema, 'todo_history_count_inserted_rows')}() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER ${pinned} AS $$
    BEGIN
      INSERT INTO ${daily} AS s (day, group_id, group_name, log_count, last_activity)
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
  for (const [name, touched] of [
    ['todo_history_recount_deleted_rows', sql`removed_rows`],
    ['todo_history_recount_updated_rows', sql`(SELECT group_id, timestamp FROM removed_rows UNION ALL SELECT group_id, timestamp FROM inserted_rows)`],
  ] as const) {
    await sql`
      CREATE OR REPLACE FUNCTION ${sql.id(schema, name)}() RETURNS trigger
      LANGUAGE plpgsql SECURITY DEFINER ${pinned} AS $$
      DECLARE
        affected_groups VARCHAR[];
        affected_days TIMESTAMPTZ[];
      BEGIN
        SELECT array_agg(group_id), array_agg(day) INTO affected_groups, affected_days
        FROM (SELECT DISTINCT group_id, date_bin(INTERVAL '1 day', timestamp, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS day
              FROM ${touched} changed WHERE group_id IS NOT NULL) touched;
        IF affected_groups IS NOT NULL THEN
          PERFORM ${recountDays}(affected_groups, affected_days);
        END IF;
        RETURN NULL;
      END
      $$`.execute(db);
  }
  await sql`
    CREATE OR REPLACE FUNCTION ${sql.id(schema, 'todo_history_empty_summaries')}() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER ${pinned} AS $$
    BEGIN
      LOCK TABLE ${daily} IN EXCLUSIVE MODE;
      DELETE FROM ${daily};
      RETURN NULL;
    END
    $$`.execute(db);
  await sql`DROP FUNCTION IF EXISTS ${sql.id(schema, 'todo_history_recount_hours')}(varchar[], timestamptz[])`.execute(db);
  await sql`DROP INDEX IF EXISTS ${sql.table(`${schema}.todo_group_activity_daily_day`)}`.execute(db);
  await sql`DROP TABLE IF EXISTS ${sql.table(`${schema}.todo_group_activity_hourly`)}`.execute(db);
}
