import type { Kysely, NotNull } from 'kysely';
import type { Database } from '../../src/db/database.js';
import { defaultReadLimit, type GroupSummary, type ReadOptions, type TaskSummary } from '../../src/db/read-queries.js';

/** The summaries as the Go service computed them, by scanning every row: the oracle the per-day summaries must match. */
export async function scannedGroupsSummary(db: Kysely<Database>, options: ReadOptions): Promise<GroupSummary[]> {
  let query = db.selectFrom('todo_event_logs').where('group_id', 'is not', null);
  if (options.since) query = query.where('timestamp', '>=', options.since);
  if (options.until) query = query.where('timestamp', '<', options.until);
  const rows = await query
    .select((eb) => ['group_id as groupId', 'group_name as groupName', eb.fn.countAll<string>().as('logCount'), eb.fn.max('timestamp').as('lastActivity')])
    .$narrowType<{ groupId: NotNull }>()
    .groupBy(['group_id', 'group_name'])
    .orderBy('lastActivity', 'desc')
    .orderBy('group_id')
    .orderBy('group_name')
    .limit(options.limit ?? defaultReadLimit)
    .execute();
  return rows.map((row) => ({ ...row, logCount: Number(row.logCount) }));
}

/** The same scan for one group's tasks. */
export async function scannedGroupTasksSummary(db: Kysely<Database>, groupId: string, options: ReadOptions): Promise<TaskSummary[]> {
  let query = db.selectFrom('todo_event_logs').where('group_id', '=', groupId).where('task_id', 'is not', null);
  if (options.since) query = query.where('timestamp', '>=', options.since);
  if (options.until) query = query.where('timestamp', '<', options.until);
  const rows = await query
    .select((eb) => ['task_id as taskId', 'task_name as taskName', eb.fn.countAll<string>().as('logCount'), eb.fn.max('timestamp').as('lastActivity')])
    .$narrowType<{ taskId: NotNull }>()
    .groupBy(['task_id', 'task_name'])
    .orderBy('lastActivity', 'desc')
    .orderBy('task_id')
    .orderBy('task_name')
    .limit(options.limit ?? defaultReadLimit)
    .execute();
  return rows.map((row) => ({ ...row, logCount: Number(row.logCount) }));
}
