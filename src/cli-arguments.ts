import { parseArgs } from 'node:util';
import { migrateActions, type MigrateAction } from './commands/migrate-command.js';
import type { LogsQuery } from './commands/logs-command.js';
import type { ReadOptions } from './db/read-queries.js';

export const usage = `Usage: todo-history <command>

Commands:
  consume                      consume events from Kafka into todo_event_logs until SIGTERM
  scaler                       keep the consumer Deployment's replicas equal to the topic's partitions
  migrate latest|up|down       change the database schema
  migrate status|check         show where the schema is; check also exits 1 unless this build runs on it
  logs group <groupId>         a group's history, newest first
  logs task <taskId>           a task's history, newest first
  logs groups                  every group with its event count and last activity
  logs group-tasks <groupId>   a group's tasks with their event counts and last activity

Options of logs:
  --limit N                    at most N results (default 100)
  --since TIME, --until TIME   only events with since <= timestamp < until (RFC 3339)

Settings come from environment variables; see the README.`;

export type CliCommand =
  | { name: 'consume' }
  | { name: 'scaler' }
  | { name: 'migrate'; action: MigrateAction }
  | { name: 'logs'; query: LogsQuery; options: ReadOptions }
  | { name: 'help' };

/** A command line that does not parse; the message says what is wrong. */
export class UsageError extends Error {
  readonly code = 'usage';
}

function dateOption(value: string | undefined, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new UsageError(`--${name} must be a date-time, got ${JSON.stringify(value)}`);
  return date;
}

function limitOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new UsageError('--limit must be an integer from 1 to 10000');
  return limit;
}

function logsQuery([kind, id, ...extra]: string[]): LogsQuery {
  if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0]}`);
  if (kind === 'groups' && id === undefined) return { kind };
  if ((kind === 'group' || kind === 'task' || kind === 'group-tasks') && id !== undefined) return { kind, id };
  throw new UsageError('logs needs one of: group <groupId>, task <taskId>, groups, group-tasks <groupId>');
}

/** @throws UsageError for anything that is not a known command with valid arguments. */
export function parseCliArguments(args: string[]): CliCommand {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      limit: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help === true || command === undefined || command === 'help') return { name: 'help' };
  if (command !== 'logs' && (values.limit ?? values.since ?? values.until) !== undefined) {
    throw new UsageError('--limit, --since and --until belong to logs');
  }
  switch (command) {
    case 'consume':
      if (rest.length > 0) throw new UsageError('consume takes no arguments');
      return { name: 'consume' };
    case 'scaler':
      if (rest.length > 0) throw new UsageError('scaler takes no arguments');
      return { name: 'scaler' };
    case 'migrate': {
      const action = migrateActions.find((a) => a === rest[0]);
      if (action === undefined || rest.length !== 1) throw new UsageError(`migrate needs one of: ${migrateActions.join(', ')}`);
      return { name: 'migrate', action };
    }
    case 'logs': {
      const options: ReadOptions = {};
      const limit = limitOption(values.limit);
      const since = dateOption(values.since, 'since');
      const until = dateOption(values.until, 'until');
      if (limit !== undefined) options.limit = limit;
      if (since !== undefined) options.since = since;
      if (until !== undefined) options.until = until;
      return { name: 'logs', query: logsQuery(rest), options };
    }
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}
