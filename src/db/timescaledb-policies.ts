import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { TimescaledbPolicyConfig } from '../config/config-schema.js';

/**
 * How compressed chunks of todo_event_logs are laid out, chosen for the four read queries (read-queries.ts).
 * `timestamp DESC, id DESC` is the logs' own order: a LIMIT reads the newest batches first, and the min/max of
 * `timestamp` per batch skips batches outside a window (the summaries' edge days, windowed logs). No segment
 * column: a group's logs, a task's logs and the group tasks summary's edges skip batches by the bloom filters
 * TimescaleDB builds at compression for every indexed column (idx_group_id, idx_task_id). Segmenting by
 * group_id would keep each group's rows apart, but a todo group has few events a day, and small segments
 * compress and read worse: 500,000 events over 100 days in 200 groups took 64 MB segmented by group_id
 * against 24 MB without, and its reads were slower; with 5 busy groups the two were alike (docs,
 * "compression-and-retention"). The whole days of the summaries come from the continuous aggregates, which
 * are not compressed.
 */
export const compressionSettings = {
  segmentBy: '',
  orderBy: 'timestamp DESC, id DESC',
  /** How TimescaleDB's `hypertable_columnstore_settings` shows the two above. */
  shownAs: { segmentBy: '', orderBy: '"timestamp" DESC,id DESC' },
} as const;

/** What applying one policy did; `days` is the setting it now follows (0: off). */
export interface PolicyOutcome {
  policy: 'compression settings' | 'compression policy' | 'retention policy' | 'summary refresh window';
  action: 'added' | 'changed' | 'removed' | 'unchanged' | 'absent';
  days: number;
}

const table = 'todo_event_logs';
const summaries = ['todo_group_activity_daily', 'todo_task_activity_daily', 'todo_group_activity_hourly', 'todo_task_activity_hourly'];

function daysInterval(days: number): RawBuilder<unknown> {
  return sql`make_interval(days => ${days === 0 ? null : days}::int)`;
}

interface PolicyJob {
  job: number;
  matches: boolean;
}

/** The jobs of `proc` on `relations` in this schema, and whether their `key` is already `days`. */
async function policyJobs<DB>(db: Kysely<DB>, proc: string, relations: readonly string[], key: string, days: number): Promise<PolicyJob[]> {
  const { rows } = await sql<PolicyJob>`
    SELECT job_id AS job, (config->>${key})::interval IS NOT DISTINCT FROM ${daysInterval(days)} AS matches
    FROM timescaledb_information.jobs
    WHERE proc_name = ${proc} AND hypertable_schema = current_schema() AND hypertable_name IN (${sql.join(relations)})
    ORDER BY job_id`.execute(db);
  return rows;
}

/** Sets `key` of the jobs' config to `days` (null for 0); alter_job keeps their id, schedule and the rest of their config. */
async function alterJobs<DB>(db: Kysely<DB>, jobs: readonly PolicyJob[], key: string, days: number): Promise<void> {
  for (const { job } of jobs) {
    await sql`
      SELECT alter_job(job_id, config => jsonb_set(config, ARRAY[${key}], coalesce(to_jsonb(${daysInterval(days)}::text), 'null'::jsonb)))
      FROM timescaledb_information.jobs WHERE job_id = ${job}`.execute(db);
  }
}

interface PolicyFunctions {
  policy: 'compression policy' | 'retention policy';
  proc: string;
  key: string;
  add: RawBuilder<unknown>;
  remove: RawBuilder<unknown>;
}

/** Adds, changes or removes one hypertable policy so that it follows `days`. */
async function reconcilePolicy<DB>(db: Kysely<DB>, functions: PolicyFunctions, days: number): Promise<PolicyOutcome> {
  const { policy, proc, key } = functions;
  const jobs = await policyJobs(db, proc, [table], key, days);
  if (jobs.length === 0 && days === 0) return { policy, action: 'absent', days };
  if (days === 0) {
    await sql`SELECT ${functions.remove}`.execute(db);
    return { policy, action: 'removed', days };
  }
  if (jobs.length === 0) {
    await sql`SELECT ${functions.add}`.execute(db);
    return { policy, action: 'added', days };
  }
  if (jobs.every((job) => job.matches)) return { policy, action: 'unchanged', days };
  await alterJobs(db, jobs, key, days);
  return { policy, action: 'changed', days };
}

/**
 * Compression on with this product's layout. Settings differing from it are replaced (chunks compressed
 * before keep theirs until recompressed). Turning the policy off leaves compression enabled: TimescaleDB
 * cannot disable it while compressed chunks exist, and rows go into compressed chunks as into others.
 */
async function reconcileCompressionSettings<DB>(db: Kysely<DB>, days: number): Promise<PolicyOutcome> {
  const policy = 'compression settings';
  if (days === 0) return { policy, action: 'absent', days };
  const { rows } = await sql<{ enabled: boolean; segmentBy: string | null; orderBy: string | null }>`
    SELECT h.compression_enabled AS enabled, s.segmentby AS "segmentBy", s.orderby AS "orderBy"
    FROM timescaledb_information.hypertables h
    LEFT JOIN timescaledb_information.hypertable_columnstore_settings s ON s.hypertable = format('%I.%I', h.hypertable_schema, h.hypertable_name)::regclass
    WHERE h.hypertable_schema = current_schema() AND h.hypertable_name = ${table}`.execute(db);
  const current = rows[0];
  const { shownAs } = compressionSettings;
  if (current?.enabled === true && current.segmentBy === shownAs.segmentBy && current.orderBy === shownAs.orderBy) {
    return { policy, action: 'unchanged', days };
  }
  await sql`
    ALTER TABLE ${sql.table(table)} SET (timescaledb.compress,
      timescaledb.compress_segmentby = ${sql.lit(compressionSettings.segmentBy)},
      timescaledb.compress_orderby = ${sql.lit(compressionSettings.orderBy)})`.execute(db);
  return { policy, action: current?.enabled === true ? 'changed' : 'added', days };
}

/** The summaries' refresh policies recount `days` back (start offset), or the whole history for 0. */
async function reconcileSummaryRefresh<DB>(db: Kysely<DB>, days: number): Promise<PolicyOutcome> {
  const policy = 'summary refresh window';
  const jobs = await policyJobs(db, 'policy_refresh_continuous_aggregate', summaries, 'start_offset', days);
  if (jobs.length === 0) return { policy, action: 'absent', days };
  if (jobs.every((job) => job.matches)) return { policy, action: 'unchanged', days };
  await alterJobs(db, jobs.filter((job) => !job.matches), 'start_offset', days);
  return { policy, action: 'changed', days };
}

/**
 * Makes the hypertable's TimescaleDB jobs follow the settings, in one transaction: compression (its
 * settings, then its policy), the summaries' refresh window, then retention. Running it again with the same
 * settings changes nothing. The settings must have passed timescaledbPolicyProblems.
 */
export async function applyTimescaledbPolicies<DB>(db: Kysely<DB>, settings: TimescaledbPolicyConfig): Promise<PolicyOutcome[]> {
  const { compressAfterDays, dropRawAfterDays, summaryRefreshDays } = settings;
  const relation = sql`${table}::regclass`;
  return db.transaction().execute(async (trx) => [
    await reconcileCompressionSettings(trx, compressAfterDays),
    await reconcilePolicy(trx, {
      policy: 'compression policy',
      proc: 'policy_compression',
      key: 'compress_after',
      add: sql`add_compression_policy(${relation}, compress_after => ${daysInterval(compressAfterDays)})`,
      remove: sql`remove_compression_policy(${relation})`,
    }, compressAfterDays),
    await reconcileSummaryRefresh(trx, summaryRefreshDays),
    await reconcilePolicy(trx, {
      policy: 'retention policy',
      proc: 'policy_retention',
      key: 'drop_after',
      add: sql`add_retention_policy(${relation}, drop_after => ${daysInterval(dropRawAfterDays)})`,
      remove: sql`remove_retention_policy(${relation})`,
    }, dropRawAfterDays),
  ]);
}
