import { sql, type Kysely, type RawBuilder, type SelectQueryBuilder } from 'kysely';
import type { Database } from './database.js';
import { planSummaryWindow, type SummaryWindowPlan, type TimeRange } from './summary-window.js';

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

function timeBounds(column: 'day' | 'timestamp', range: TimeRange): RawBuilder<unknown> {
  const bounds = [
    ...(range.since === undefined ? [] : [sql`${sql.ref(column)} >= ${range.since}`]),
    ...(range.until === undefined ? [] : [sql`${sql.ref(column)} < ${range.until}`]),
  ];
  return bounds.length === 0 ? sql`TRUE` : sql.join(bounds, sql` AND `);
}

interface SummarySource {
  /** The per-day summary to read whole days from; undefined: every row in the window is read. */
  daily: 'todo_group_activity_daily' | 'todo_task_activity_daily' | undefined;
  id: 'group_id' | 'task_id';
  name: 'group_name' | 'task_name';
  rows: RawBuilder<unknown>;
}

/**
 * The per-day summary's whole days plus the rows of the partial days at the window's edges, added up per
 * key, so the result is the scan's while reading at most two days of rows; without a summary, the scan.
 * Ties on the last activity are broken by the key, so a limit always cuts at the same place.
 */
async function summarize(db: Kysely<Database>, source: SummarySource, options: ReadOptions): Promise<SummaryRow[]> {
  const { daily } = source;
  const window: TimeRange = { since: options.since, until: options.until };
  const plan: SummaryWindowPlan = daily === undefined ? { wholeDays: undefined, edges: [window] } : planSummaryWindow(window);
  const id = sql.ref(source.id);
  const name = sql.ref(source.name);
  const parts = [
    ...(plan.wholeDays === undefined || daily === undefined
      ? []
      : [sql`SELECT ${id} AS id, ${name} AS name, log_count, last_activity FROM ${sql.table(daily)}
             WHERE ${source.rows} AND ${timeBounds('day', plan.wholeDays)}`]),
    ...plan.edges.map(
      (edge) => sql`SELECT ${id} AS id, ${name} AS name, count(*) AS log_count, max(timestamp) AS last_activity
                    FROM todo_event_logs WHERE ${source.rows} AND ${timeBounds('timestamp', edge)} GROUP BY ${id}, ${name}`,
    ),
  ];
  const { rows } = await sql<SummaryRow>`
    SELECT id, name, sum(log_count)::bigint AS "logCount", max(last_activity) AS "lastActivity"
    FROM (${sql.join(parts, sql` UNION ALL `)}) AS parts
    GROUP BY id, name
    ORDER BY "lastActivity" DESC, id, name
    LIMIT ${options.limit ?? defaultReadLimit}`.execute(db);
  return rows;
}

/** Every group with its event count and last activity, most recently active first. (Go: GetGroupsSummary) */
export async function getGroupsSummary(db: Kysely<Database>, options: ReadOptions = {}): Promise<GroupSummary[]> {
  const rows = await summarize(
    db,
    { daily: 'todo_group_activity_daily', id: 'group_id', name: 'group_name', rows: sql`group_id IS NOT NULL` },
    options,
  );
  return rows.map((row) => ({ groupId: row.id, groupName: row.name, logCount: Number(row.logCount), lastActivity: row.lastActivity }));
}

/**
 * Whether `todo_task_activity_daily` exists: a continuous aggregate on TimescaleDB, absent on plain
 * PostgreSQL, where the task summary reads the group's rows. Looked up once per Kysely instance; a
 * failed look-up is not kept.
 */
const taskSummaryExists = new WeakMap<Kysely<Database>, Promise<boolean>>();

function hasTaskSummary(db: Kysely<Database>): Promise<boolean> {
  let exists = taskSummaryExists.get(db);
  if (exists === undefined) {
    exists = sql<{ found: boolean }>`SELECT to_regclass('todo_task_activity_daily') IS NOT NULL AS found`
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
  const daily = (await hasTaskSummary(db)) ? 'todo_task_activity_daily' : undefined;
  const rows = await summarize(
    db,
    { daily, id: 'task_id', name: 'task_name', rows: sql`group_id = ${groupId} AND task_id IS NOT NULL` },
    options,
  );
  return rows.map((row) => ({ taskId: row.id, taskName: row.name, logCount: Number(row.logCount), lastActivity: row.lastActivity }));
}
