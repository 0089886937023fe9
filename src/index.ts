/**
 * The read side of the todo history, for the read API to import: typed queries over `todo_event_logs`
 * equivalent to the Go service's GetGroupLogs, GetTaskLogs, GetGroupsSummary and GetGroupTasksSummary.
 */
export {
  defaultReadLimit,
  getGroupLogs,
  getGroupsSummary,
  getGroupTasksSummary,
  getTaskLogs,
  type EventLog,
  type GroupSummary,
  type ReadOptions,
  type TaskSummary,
} from './db/read-queries.js';
export { createDatabase } from './db/create-database.js';
export type { Database, TodoEventLogsTable } from './db/database.js';
export { loadConfig } from './config/load-config.js';
export type { AppConfig } from './config/config-schema.js';
