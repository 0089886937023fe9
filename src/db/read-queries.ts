import { sql, type Kysely, type RawBuilder, type SelectQueryBuilder } from 'kysely';
import type { Database } from './database.js';
import { planSummaryWindow, type SummaryLevel, type SummaryPiece, type TimeRange } from './summary-window.js';

/** One stored event, in the camelCase shape the Go service's read functions returned. */
export interface EventLog {
  id: number;
  timestamp: Date;
  eventType: string;
  entity: string;
  entityId: string;
  groupId: string | null;
  groupName: string | null;
  taskId: string | null;
  taskName: string | null;
  changes: string | null;
  user: string | null;
  workspace: string | null;
}

export interface GroupSummary {
  groupId: string;
  groupName: string | null;
  logCount: number;
  lastActivity: Date;
}

export interface TaskSummary {
  taskId: string;
  taskName: string | null;
  logCount: number;
  lastActivity: Date;
}

/** Paging and time window of a read: at most `limit` results (default 100), `since` ≤ timestamp < `until`. */
export interface ReadOptions {
  limit?: number;
  since?: Date;
  until?: Date;
}

export const defaultReadLimit = 100;

type EventLogQuery = SelectQueryBuilder<Database, 'todo_event_logs', object>;

function withinWindow<Q extends EventLogQuery>(query: Q, options: ReadOptions): Q {
  let windowed = query;
  if (options.since) windowed = windowed.where('timestamp', '>=', options.since) as Q;
  if (options.until) windowed = windowed.where('timestamp', '<', options.until) as Q;
  return windowed;
}

function eventLogs(db: Kysely<Database>) {
  return db
    .selectFrom('todo_event_logs')
    .select([
      'id', 'timestamp', 'event_type as eventType', 'entity', 'entity_id as entityId', 'group_id as groupId',
      'group_name as groupName', 'task_id as taskId', 'task_name as taskName', 'changes', 'user_name as user',
      'workspace',
    ]);
}

async function recentEventLogs(
  db: Kysely<Database>,
  column: 'group_id' | 'task_id',
  id: string,
  options: ReadOptions,
): Promise<EventLog[]> {
  const rows = await withinWindow(eventLogs(db).where(column, '=', id), options)
    .orderBy('timestamp', 'desc')
    .orderBy('id', 'desc')
    .limit(options.limit ?? defaultReadLimit)
    .execute();
  // BIGSERIAL comes back from pg as a string; ids stay far below 2^53.
  return rows.map((row) => ({ ...row, id: Number(row.id) }));
}

/** A group's history, newest first: the group's own events and its tasks'. (Go: GetGroupLogs) */
export function getGroupLogs(db: Kysely<Database>, groupId: string, options: ReadOptions = {}): Promise<EventLog[]> {
  return recentEventLogs(db, 'group_id', groupId, options);
}

/** A task's history, newest first. (Go: GetTaskLogs) */
export function getTaskLogs(db: Kysely<Database>, taskId: string, options: ReadOptions = {}): Promise<EventLog[]> {
  return recentEventLogs(db, 'task_id', taskId, options);
}

interface SummaryRow {
  id: string;
  name: string | null;
  logCount: string;
  lastActivity: Date;
}

const summaryLevels = [
  { name: 'day', ms: 86_400_000 },
  { name: 'hour', ms: 3_600_000 },
] as const satisfies readonly SummaryLevel<string>[];

type SummaryLevelName = (typeof summaryLevels)[number]['name'];

function timeBounds(column: string, range: TimeRange): RawBuilder<unknown> {
  const bounds = [
    ...(range.since === undefined ? [] : [sql`${sql.ref(column)} >= ${range.since}`]),
    ...(range.until === undefined ? [] : [sql`${sql.ref(column)} < ${range.until}`]),
  ];
  return bounds.length === 0 ? sql`TRUE` : sql.join(bounds, sql` AND `);
}

interface SummarySource {
  /** The summaries by level to read whole buckets from; undefined: every row in the window is read. */
  summaries: Record<SummaryLevelName, 'todo_group_activity_daily' | 'todo_group_activity_hourly' | 'todo_task_activity_daily' | 'todo_task_activity_hourly'> | undefined;
  id: 'group_id' | 'task_id';
  name: 'group_name' | 'task_name';
  /** Which rows count, as a condition that holds on the table and on its summaries alike. */
  rows: RawBuilder<unknown>;
}

/** A key of a summary, and the time of its newest entry seen (with microseconds, as text, for ties). */
interface RecentKey {
  id: string;
  name: string | null;
  at: string;
}

/** Entries of the walk for the most recent keys: at most this many before the query counts every key. */
const recentKeyWalkLimit = 25_600;

/**
 * The keys that can be among the `limit` most recently active in the window, or undefined when more than
 * `recentKeyWalkLimit` entries would have to be read to know. The window's pieces are walked newest first
 * (rows by timestamp; summary buckets by bucket, then last activity: the same order, as a bucket's last
 * activity lies within it, through the bucket's index), and the first entry of a key is its last
 * activity in the window: once `limit` keys have been seen whose first entry is newer than the last entry
 * read, no key unseen can rank before them. Ties on the limit-th key's last activity are all kept.
 */
async function recentKeys(
  db: Kysely<Database>,
  source: SummarySource,
  pieces: readonly SummaryPiece<SummaryLevelName>[],
  limit: number,
): Promise<RecentKey[] | undefined> {
  const id = sql.ref(source.id);
  const name = sql.ref(source.name);
  const walk = (entries: number) =>
    pieces.map(({ source: from, range }) =>
      from === 'rows' || source.summaries === undefined
        ? sql`(SELECT ${id} AS id, ${name} AS name, timestamp AS at FROM todo_event_logs
               WHERE ${source.rows} AND ${timeBounds('timestamp', range)} ORDER BY timestamp DESC LIMIT ${entries})`
        : sql`(SELECT ${id} AS id, ${name} AS name, last_activity AS at FROM ${sql.table(source.summaries[from])}
               WHERE ${source.rows} AND ${timeBounds(from, range)} ORDER BY ${sql.ref(from)} DESC, last_activity DESC LIMIT ${entries})`,
    );
  for (let entries = 2 * Math.max(limit, 1); entries <= recentKeyWalkLimit; entries *= 4) {
    const { rows } = await sql<RecentKey>`
      SELECT id, name, at::text AS at FROM (${sql.join(walk(entries), sql` UNION ALL `)}) AS walked
      ORDER BY walked.at DESC LIMIT ${entries}`.execute(db);
    const seen = new Map<string, RecentKey>();
    for (const row of rows) {
      const key = JSON.stringify([row.id, row.name]);
      if (!seen.has(key)) seen.set(key, row);
    }
    const keys = [...seen.values()];
    const oldest = rows[rows.length - 1];
    if (rows.length < entries || oldest === undefined) return keys;
    const settled = keys.filter((key) => key.at !== oldest.at);
    const cut = settled[limit - 1];
    if (cut !== undefined) return settled.filter((key, index) => index < limit || key.at === cut.at);
  }
  return undefined;
}

/** Only the rows and buckets of `keys`: a name is matched as the summaries' unique index keys it. */
function ofKeys(source: SummarySource, keys: readonly RecentKey[] | undefined): RawBuilder<unknown> {
  if (keys === undefined) return sql`TRUE`;
  const id = sql.ref(source.id);
  const name = sql.ref(source.name);
  const ids = keys.map((key) => key.id);
  return sql`${id} = ANY(${ids}::text[])
    AND (${id}, coalesce(${name}, ''), ${name} IS NULL) IN (
      SELECT * FROM unnest(${ids}::text[], ${keys.map((key) => key.name ?? '')}::text[], ${keys.map((key) => key.name === null)}::boolean[]))`;
}

/**
 * The summaries' whole days and hours plus the rows of the partial hours at the window's edges, added up
 * per key, so the result is the scan's while reading less than two hours of rows; without summaries, the
 * scan. When the most recently active keys can be told from a short walk (see recentKeys), only they are
 * counted. Ties on the last activity are broken by the key, so a limit always cuts at the same place.
 */
function summarize(db: Kysely<Database>, source: SummarySource, options: ReadOptions): Promise<SummaryRow[]> {
  // A caller's own transaction is read in as it is: Kysely cannot nest one.
  if (db.isTransaction) return summarizeSerially(db, source, options);
  // Both statements read a few thousand index entries: starting parallel workers would cost more than the
  // reads (tens of ms on a busy machine, measured), so this transaction plans without them.
  return db.transaction().execute(async (trx) => {
    await sql`SET LOCAL max_parallel_workers_per_gather = 0`.execute(trx);
    return summarizeSerially(trx, source, options);
  });
}

async function summarizeSerially(db: Kysely<Database>, source: SummarySource, options: ReadOptions): Promise<SummaryRow[]> {
  const { summaries } = source;
  const limit = options.limit ?? defaultReadLimit;
  const pieces = planSummaryWindow({ since: options.since, until: options.until }, summaries === undefined ? [] : summaryLevels);
  if (pieces.length === 0) return [];
  const keys = await recentKeys(db, source, pieces, limit);
  if (keys !== undefined && keys.length === 0) return [];
  const id = sql.ref(source.id);
  const name = sql.ref(source.name);
  const counted = sql`${source.rows} AND ${ofKeys(source, keys)}`;
  const parts = pieces.map(({ source: from, range }) =>
    from === 'rows' || summaries === undefined
      ? sql`SELECT ${id} AS id, ${name} AS name, count(*) AS log_count, max(timestamp) AS last_activity
            FROM todo_event_logs WHERE ${counted} AND ${timeBounds('timestamp', range)} GROUP BY ${id}, ${name}`
      : sql`SELECT ${id} AS id, ${name} AS name, log_count, last_activity FROM ${sql.table(summaries[from])}
            WHERE ${counted} AND ${timeBounds(from, range)}`,
  );
  const { rows } = await sql<SummaryRow>`
    SELECT id, name, sum(log_count)::bigint AS "logCount", max(last_activity) AS "lastActivity"
    FROM (${sql.join(parts, sql` UNION ALL `)}) AS parts
    GROUP BY id, name
    ORDER BY "lastActivity" DESC, id, name
    LIMIT ${limit}`.execute(db);
  return rows;
}

/** Every group with its event count and last activity, most recently active first. (Go: GetGroupsSummary) */
export async function getGroupsSummary(db: Kysely<Database>, options: ReadOptions = {}): Promise<GroupSummary[]> {
  const rows = await summarize(
    db,
    { summaries: { day: 'todo_group_activity_daily', hour: 'todo_group_activity_hourly' }, id: 'group_id', name: 'group_name', rows: sql`group_id IS NOT NULL` },
    options,
  );
  return rows.map((row) => ({ groupId: row.id, groupName: row.name, logCount: Number(row.logCount), lastActivity: row.lastActivity }));
}

/**
 * Whether the task summaries (`todo_task_activity_daily` and `_hourly`) exist: continuous aggregates on
 * TimescaleDB, absent on plain PostgreSQL, where the task summary reads the group's rows. Looked up once
 * per Kysely instance; a failed look-up is not kept.
 */
const taskSummaryExists = new WeakMap<Kysely<Database>, Promise<boolean>>();

function hasTaskSummary(db: Kysely<Database>): Promise<boolean> {
  let exists = taskSummaryExists.get(db);
  if (exists === undefined) {
    exists = sql<{ found: boolean }>`SELECT to_regclass('todo_task_activity_hourly') IS NOT NULL AS found`
      .execute(db)
      .then(({ rows }) => rows[0]?.found === true);
    exists.catch(() => taskSummaryExists.delete(db));
    taskSummaryExists.set(db, exists);
  }
  return exists;
}

/** The tasks of one group with their event counts and last activity. (Go: GetGroupTasksSummary) */
export async function getGroupTasksSummary(
  db: Kysely<Database>,
  groupId: string,
  options: ReadOptions = {},
): Promise<TaskSummary[]> {
  const summaries = (await hasTaskSummary(db)) ? ({ day: 'todo_task_activity_daily', hour: 'todo_task_activity_hourly' } as const) : undefined;
  const rows = await summarize(
    db,
    { summaries, id: 'task_id', name: 'task_name', rows: sql`group_id = ${groupId} AND task_id IS NOT NULL` },
    options,
  );
  return rows.map((row) => ({ taskId: row.id, taskName: row.name, logCount: Number(row.logCount), lastActivity: row.lastActivity }));
}
