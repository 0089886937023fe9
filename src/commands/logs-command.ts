import type { Logger } from 'pino';
import type { AppConfig } from '../config/config-schema.js';
import { createDatabase } from '../db/create-database.js';
import { assertPrivileges } from '../db/role-privileges.js';
import { getGroupLogs, getGroupsSummary, getGroupTasksSummary, getTaskLogs, type ReadOptions } from '../db/read-queries.js';
import { databaseConnectionSettings } from '../db/database-connection-settings.js';
import { logCommandFailure } from './log-command-failure.js';
import { exitCodes } from './exit-codes.js';

/** Which history to print: `logs group <id>`, `logs task <id>`, `logs groups`, `logs group-tasks <id>`. */
export type LogsQuery =
  | { kind: 'group'; id: string }
  | { kind: 'task'; id: string }
  | { kind: 'groups' }
  | { kind: 'group-tasks'; id: string };

/** Prints the result of one of the four read queries as JSON on stdout. */
export async function logsCommand(query: LogsQuery, options: ReadOptions, config: AppConfig, logger: Logger): Promise<number> {
  const db = createDatabase(config.database, logger, { applicationName: 'todo-history-logs' });
  try {
    await assertPrivileges(db, 'read');
    const result =
      query.kind === 'group' ? await getGroupLogs(db, query.id, options)
      : query.kind === 'task' ? await getTaskLogs(db, query.id, options)
      : query.kind === 'groups' ? await getGroupsSummary(db, options)
      : await getGroupTasksSummary(db, query.id, options);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return exitCodes.ok;
  } catch (error) {
    logCommandFailure(logger, error, databaseConnectionSettings(config.database), 'query failed');
    return exitCodes.failure;
  } finally {
    await db.destroy();
  }
}
