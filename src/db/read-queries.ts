import type { Kysely, NotNull, SelectQueryBuilder } from 'kysely';
import type { Database } from './database.js';

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

/** Every group with its event count and last activity, most recently active first. (Go: GetGroupsSummary) */
export async function getGroupsSummary(db: Kysely<Database>, options: ReadOptions = {}): Promise<GroupSummary[]> {
  const rows = await withinWindow(db.selectFrom('todo_event_logs').where('group_id', 'is not', null), options)
    .select((eb) => [
      'group_id as groupId',
      'group_name as groupName',
      eb.fn.countAll<string>().as('logCount'),
      eb.fn.max('timestamp').as('lastActivity'),
    ])
    .$narrowType<{ groupId: NotNull }>()
    .groupBy(['group_id', 'group_name'])
    .orderBy('lastActivity', 'desc')
    .limit(options.limit ?? defaultReadLimit)
    .execute();
  return rows.map((row) => ({ ...row, logCount: Number(row.logCount) }));
}

/** The tasks of one group with their event counts and last activity. (Go: GetGroupTasksSummary) */
export async function getGroupTasksSummary(
  db: Kysely<Database>,
  groupId: string,
  options: ReadOptions = {},
): Promise<TaskSummary[]> {
  const rows = await withinWindow(
    db.selectFrom('todo_event_logs').where('group_id', '=', groupId).where('task_id', 'is not', null),
    options,
  )
    .select((eb) => [
      'task_id as taskId',
      'task_name as taskName',
      eb.fn.countAll<string>().as('logCount'),
      eb.fn.max('timestamp').as('lastActivity'),
    ])
    .$narrowType<{ taskId: NotNull }>()
    .groupBy(['task_id', 'task_name'])
    .orderBy('lastActivity', 'desc')
    .limit(options.limit ?? defaultReadLimit)
    .execute();
  return rows.map((row) => ({ ...row, logCount: Number(row.logCount) }));
}
