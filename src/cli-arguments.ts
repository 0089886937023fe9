import { parseArgs } from 'node:util';
import { migrateActions, type MigrateAction } from './commands/migrate-command.js';
import type { DlqRequest } from './commands/dlq-command.js';
import type { LogsQuery } from './commands/logs-command.js';
import type { OffsetsRequest } from './commands/offsets-command.js';
import type { TopicCheckRequest } from './commands/topic-command.js';
import type { ResetTarget } from './offsets/reset-target.js';
import type { LetterFilter } from './dlq/letter-filter.js';
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
  dlq inspect                  count the dead letters by reason, time and offsets, with samples (JSON)
  dlq replay                   store the dead letters that are valid now, once; report the rest (JSON)
  offsets show                 each partition's stored, committed and log offsets, and what blocks it (JSON)
  offsets reset --to WHERE     move the stored offsets where partitions continue, e.g. to read again (JSON)
  topic check [--partitions N] connect to the brokers; exit 1 unless the topic exists (with N partitions)

Options of logs:
  --limit N                    at most N results (default 100)
  --since TIME, --until TIME   only events with since <= timestamp < until (RFC 3339)

Options of dlq (filters of the letters taken; times and offsets are the original record's):
  --reason CODE                only letters refused for CODE (repeatable)
  --since TIME, --until TIME   only events produced at since <= time < until (RFC 3339)
  --partition N                only letters from partition N of the original topic
  --offsets FROM-TO            with --partition: only original offsets FROM to TO, inclusive
  --samples N                  inspect: letters shown per reason (default 3)
  --dry-run                    replay: report what would be stored, store nothing
  --timeout-ms N               give up unless the topic is read to its end within N ms (default 120000)

Options of offsets reset:
  --to WHERE                   earliest, latest, committed (the consumer group's), an offset, or a time
                               (RFC 3339: the first record at or after it)
  --partition N                only partition N (default: every partition)
  --dry-run                    report the moves, change nothing

Settings come from environment variables; see the README.`;

export type CliCommand =
  | { name: 'consume' }
  | { name: 'scaler' }
  | { name: 'migrate'; action: MigrateAction }
  | { name: 'logs'; query: LogsQuery; options: ReadOptions }
  | { name: 'dlq'; request: DlqRequest }
  | { name: 'offsets'; request: OffsetsRequest }
  | { name: 'topic'; request: TopicCheckRequest }
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

function integerOption(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}`);
  return number;
}

function offsetsOption(value: string | undefined, partition: number | undefined): LetterFilter['offsets'] {
  if (value === undefined) return undefined;
  const range = /^(\d+)-(\d+)$/.exec(value);
  if (range === null || BigInt(range[1] ?? '') > BigInt(range[2] ?? '')) throw new UsageError('--offsets must be FROM-TO, two offsets with FROM <= TO');
  if (partition === undefined) throw new UsageError('--offsets needs --partition: offsets are per partition');
  return { from: BigInt(range[1] ?? ''), to: BigInt(range[2] ?? '') };
}

interface DlqOptionValues {
  reason?: string[];
  since?: string;
  until?: string;
  partition?: string;
  offsets?: string;
  samples?: string;
  'dry-run'?: boolean;
  'timeout-ms'?: string;
}

function dlqRequest(rest: string[], values: DlqOptionValues): DlqRequest {
  const [action, ...extra] = rest;
  if ((action !== 'inspect' && action !== 'replay') || extra.length > 0) throw new UsageError('dlq needs one of: inspect, replay');
  if (action === 'inspect' && values['dry-run'] === true) throw new UsageError('--dry-run belongs to dlq replay');
  if (action === 'replay' && values.samples !== undefined) throw new UsageError('--samples belongs to dlq inspect');
  const filter: LetterFilter = {};
  const since = dateOption(values.since, 'since');
  const until = dateOption(values.until, 'until');
  const partition = integerOption(values.partition, 'partition', 0, 2 ** 31 - 1);
  const offsets = offsetsOption(values.offsets, partition);
  if (values.reason !== undefined) filter.reasons = values.reason;
  if (since !== undefined) filter.since = since;
  if (until !== undefined) filter.until = until;
  if (partition !== undefined) filter.partition = partition;
  if (offsets !== undefined) filter.offsets = offsets;
  return {
    action,
    filter,
    samples: integerOption(values.samples, 'samples', 0, 1_000) ?? 3,
    dryRun: values['dry-run'] === true,
    timeoutMs: integerOption(values['timeout-ms'], 'timeout-ms', 1_000, 86_400_000) ?? 120_000,
  };
}

function resetTarget(value: string | undefined): ResetTarget {
  if (value === undefined) throw new UsageError('offsets reset needs --to earliest, latest, committed, an offset or a time');
  if (value === 'earliest' || value === 'latest' || value === 'committed') return { kind: value };
  if (/^\d+$/.test(value)) return { kind: 'offset', offset: BigInt(value) };
  const time = dateOption(value, 'to');
  if (time === undefined) throw new UsageError('offsets reset needs --to');
  return { kind: 'time', time };
}

function offsetsRequest(rest: string[], values: { to?: string; partition?: string; 'dry-run'?: boolean }): OffsetsRequest {
  const [action, ...extra] = rest;
  if ((action !== 'show' && action !== 'reset') || extra.length > 0) throw new UsageError('offsets needs one of: show, reset');
  if (action === 'show') {
    if ((values.to ?? values.partition ?? values['dry-run']) !== undefined) throw new UsageError('--to, --partition and --dry-run belong to offsets reset');
    return { action };
  }
  const partition = integerOption(values.partition, 'partition', 0, 2 ** 31 - 1);
  return { action, target: resetTarget(values.to), partitions: partition === undefined ? [] : [partition], dryRun: values['dry-run'] === true };
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
      reason: { type: 'string', multiple: true },
      partition: { type: 'string' },
      offsets: { type: 'string' },
      samples: { type: 'string' },
      'dry-run': { type: 'boolean' },
      'timeout-ms': { type: 'string' },
      to: { type: 'string' },
      partitions: { type: 'string' },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help === true || command === undefined || command === 'help') return { name: 'help' };
  const dlqOnly = [values.reason, values.offsets, values.samples, values['timeout-ms']];
  if (command !== 'dlq' && dlqOnly.some((value) => value !== undefined)) {
    throw new UsageError('--reason, --offsets, --samples and --timeout-ms belong to dlq');
  }
  if (command !== 'dlq' && command !== 'offsets' && (values.partition ?? values['dry-run']) !== undefined) {
    throw new UsageError('--partition and --dry-run belong to dlq and offsets reset');
  }
  if (command !== 'offsets' && values.to !== undefined) throw new UsageError('--to belongs to offsets reset');
  if (command !== 'topic' && values.partitions !== undefined) throw new UsageError('--partitions belongs to topic check');
  if (command === 'dlq' && values.limit !== undefined) throw new UsageError('--limit belongs to logs');
  if (command !== 'logs' && command !== 'dlq' && (values.limit ?? values.since ?? values.until) !== undefined) {
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
    case 'dlq':
      return { name: 'dlq', request: dlqRequest(rest, values) };
    case 'offsets':
      return { name: 'offsets', request: offsetsRequest(rest, values) };
    case 'topic': {
      if (rest[0] !== 'check' || rest.length !== 1) throw new UsageError('topic needs: check');
      const partitions = integerOption(values.partitions, 'partitions', 1, 1_000_000);
      return { name: 'topic', request: partitions === undefined ? {} : { partitions } };
    }
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}
