import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { migrate } from '../../src/db/migrate.js';
import { getGroupsSummary, getGroupTasksSummary, type ReadOptions } from '../../src/db/read-queries.js';
import { defaultEventLimits } from '../../src/events/event-limits.js';
import { toEventLogRow } from '../../src/events/to-event-log-row.js';
import type { TodoEventLogRow } from '../../src/events/todo-event-log-row.js';
import { startPostgresServer } from '../../deploy/local/services/postgres-server.js';
import { startTimescaledbServer } from '../../deploy/local/services/timescaledb-server.js';
import { scannedGroupsSummary, scannedGroupTasksSummary } from '../support/scanned-summaries.js';
import { refuseOtherNodeMajor } from '../support/test-node-version.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { benchEvents } from './bench-events.js';
import { insertGeneratedEventRows } from './generated-event-rows.js';
import { copyRows, unnestRows } from './insert-strategies.js';
import { percentile } from './percentile.js';
import { summaryTriggerCost } from './summary-trigger-cost.js';
import { judgeTargets } from './targets.js';
import { timeReadQueries, type QueryTiming, type ReadWindows } from './read-query-timings.js';

refuseOtherNodeMajor('npm run bench:summaries');

/**
 * `npm run bench:summaries`: what the per-day summaries cost and save on a PostgreSQL of its own. The write
 * cost: rows/s of COPY and of the consumer's unnest writer (the benchmark's rows, 1,000 per transaction)
 * with the group summary's triggers and with them dropped, alternating, `--rounds` times; and the insert
 * trigger's own time per 1,000 rows with the per-day summary only and with the per-hour one too, measured
 * by EXPLAIN ANALYZE (`--trigger-statements` statements each). The read side:
 * the summary queries against the scans (on plain PostgreSQL `getGroupTasksSummary` is one, through
 * `idx_group_id`), on a table of `--query-rows` rows spread over 30 days. Then the four read queries as
 * `npm run bench` times them (no window, the last day, each in turn), on tables of each of `--read-rows`
 * rows shaped like the benchmark's stream, on this PostgreSQL and, where its source is beside the
 * repository (or TEST_TIMESCALEDB_URL names one), on real TimescaleDB with the continuous aggregates
 * refreshed as their policies would (`--timescaledb-read-rows`: other sizes there, as its refresh is slow; empty: none).
 */
const { values: options } = parseArgs({
  options: {
    rows: { type: 'string', default: '200000' },
    'query-rows': { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '2' },
    repeats: { type: 'string', default: '15' },
    'read-rows': { type: 'string', default: '1000000,10000000' },
    'timescaledb-read-rows': { type: 'string' },
    'read-samples': { type: 'string', default: '60' },
    phases: { type: 'string', default: 'write,trigger,query,read' },
    'trigger-statements': { type: 'string', default: '200' },
  },
});
const rowCount = Number(options.rows);
const queryRows = Number(options['query-rows']);
const rounds = Number(options.rounds);
const repeats = Number(options.repeats);
const counts = (list: string) => list.split(',').filter((count) => count !== '').map(Number);
const readRows = counts(options['read-rows']);
const timescaledbReadRows = counts(options['timescaledb-read-rows'] ?? options['read-rows']);
const readSamples = Number(options['read-samples']);
const phases = new Set(options.phases.split(','));
const perTransaction = 1000;

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

const day = 86_400_000;
const start = Date.UTC(2025, 10, 1);

/**
 * The benchmark's rows; for the query tables spread over 30 days, and with `stableNames` one name per
 * group and per task (the benchmark draws a random name for every event, the worst case for a summary
 * keyed by id and name).
 */
function benchRows(count: number, spread?: { stableNames: boolean }): TodoEventLogRow[] {
  const rows: TodoEventLogRow[] = [];
  for (const message of benchEvents(count)) {
    if (!message.valid) continue;
    const offset = rows.length;
    const { row } = toEventLogRow({ value: Buffer.from(String(message.value)), timestamp: '0' }, { topic: 'bench', partition: 0, offset: String(offset) }, defaultEventLimits);
    if (spread === undefined) rows.push(row);
    else {
      const timestamp = new Date(start + Math.floor((offset * 30 * day) / count)).toISOString();
      rows.push(spread.stableNames ? { ...row, timestamp, groupName: `Team ${row.groupId}`, taskName: `Task ${row.taskId}` } : { ...row, timestamp });
    }
  }
  return rows;
}

async function dropSummaryTriggers(database: TestDatabase): Promise<void> {
  for (const trigger of ['todo_history_count_inserted_rows', 'todo_history_recount_deleted_rows', 'todo_history_recount_updated_rows', 'todo_history_empty_summaries']) {
    await sql`DROP TRIGGER ${sql.id(trigger)} ON todo_event_logs`.execute(database.db);
  }
}

async function secondsOf(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return (performance.now() - started) / 1000;
}

/** Loads a table of `queryRows` rows and times each summary query against its scan. */
async function timeQueries(serverUrl: string, stableNames: boolean) {
  const database = await createTestDatabase({ server: serverUrl });
  const rows = benchRows(queryRows, { stableNames });
  const loadSeconds = await secondsOf(() => copyRows(database.url, rows, perTransaction));
  await sql`ANALYZE`.execute(database.db);
  const stored = await database.rowCount();
  const { rows: sizes } = await sql<{ groups: number; groupSevenRows: number }>`
    SELECT (SELECT count(*)::int FROM todo_group_activity_daily) AS groups,
           (SELECT count(*)::int FROM todo_event_logs WHERE group_id = 'group-7') AS "groupSevenRows"`.execute(database.db);
  log(`query table (${stableNames ? 'stable' : 'benchmark'} names): ${stored} rows (COPY with summaries, ${Math.round(stored / loadSeconds)} rows/s); ${JSON.stringify(sizes[0])}`);
  const windows: Record<string, ReadOptions> = {
    'no window': {},
    '7 days, partial edges': { since: new Date(start + 23 * day + 3 * 3_600_000), until: new Date(start + 30 * day - 5 * 3_600_000) },
  };
  const queryTimes: Record<string, { p50Ms: number; p95Ms: number }> = {};
  const time = async (name: string, run: () => Promise<unknown>) => {
    await run();
    const times: number[] = [];
    for (let repeat = 0; repeat < repeats; repeat += 1) times.push((await secondsOf(run)) * 1000);
    queryTimes[name] = { p50Ms: Number(percentile(times, 0.5).toFixed(1)), p95Ms: Number(percentile(times, 0.95).toFixed(1)) };
  };
  // What getGroupTasksSummary would pay per call to pick its source without the per-instance cache.
  await time('to_regclass look-up, one round trip', () => sql`SELECT to_regclass('todo_task_activity_daily') IS NOT NULL AS found`.execute(database.db));
  for (const [windowName, window] of Object.entries(windows)) {
    for (const [query, run] of [
      ['getGroupsSummary', () => getGroupsSummary(database.db, window)],
      ['scan: groups', () => scannedGroupsSummary(database.db, window)],
      ['getGroupTasksSummary', () => getGroupTasksSummary(database.db, 'group-7', window)],
      ['scan: group tasks', () => scannedGroupTasksSummary(database.db, 'group-7', window)],
    ] as const) await time(`${query}, ${windowName}`, run);
  }
  await database.drop();
  return { rows: stored, copyRowsPerSecondWithSummaries: Math.round(stored / loadSeconds), groupSummaryRows: sizes[0]?.groups, groupSevenRows: sizes[0]?.groupSevenRows, queryTimes };
}

/**
 * The read queries on a table of `count` generated rows on `serverUrl`, by window; on TimescaleDB after a
 * refresh of every continuous aggregate (their policies materialize all but the newest bucket, and the
 * rows are from 2025).
 */
async function timeReadQueriesAt(serverUrl: string, count: number, target: string): Promise<Record<ReadWindows, Record<string, QueryTiming>>> {
  const database = await createTestDatabase({ server: serverUrl, migrated: false });
  try {
    if (target === 'TimescaleDB') await sql`CREATE EXTENSION IF NOT EXISTS timescaledb`.execute(database.db);
    const outcome = await migrate(database.db, 'latest');
    if (outcome.kind !== 'ran' || outcome.result.error !== undefined) throw new Error(`migrate latest failed on ${target}`);
    if (target === 'TimescaleDB') {
      await sql`SELECT alter_job(job_id, scheduled => false) FROM timescaledb_information.jobs WHERE proc_name = 'policy_refresh_continuous_aggregate'`.execute(database.db);
    }
    const loadSeconds = await secondsOf(() => insertGeneratedEventRows(database.db, count));
    const { rows: views } = await sql<{ view: string }>`
      SELECT c.relname AS view FROM pg_class c
      WHERE c.relname IN ('todo_group_activity_daily', 'todo_group_activity_hourly', 'todo_task_activity_daily', 'todo_task_activity_hourly') AND c.relkind = 'v'`.execute(database.db);
    const refreshSeconds = await secondsOf(async () => {
      for (const { view } of views) await sql`CALL refresh_continuous_aggregate(${view}::regclass, NULL, NULL)`.execute(database.db);
    });
    await sql`VACUUM ANALYZE`.execute(database.db);
    log(`${target}, ${count} rows: inserted in ${loadSeconds.toFixed(1)} s${views.length > 0 ? `, continuous aggregates refreshed in ${refreshSeconds.toFixed(1)} s` : ''}`);
    const timings = {} as Record<ReadWindows, Record<string, QueryTiming>>;
    for (const windows of ['alternate', 'none', 'last day'] as const) timings[windows] = await timeReadQueries(database.db, readSamples, 60_000, windows);
    return timings;
  } finally {
    await database.drop();
  }
}

function round(timings: Record<ReadWindows, Record<string, QueryTiming>>) {
  return Object.fromEntries(Object.entries(timings).map(([windows, byQuery]) => [windows, Object.fromEntries(Object.entries(byQuery).map(([query, timing]) => [
    query, { p50Ms: Number(timing.p50Ms.toFixed(1)), p95Ms: Number(timing.p95Ms.toFixed(1)), samples: timing.samples },
  ]))]));
}

const server = await startPostgresServer();
try {
  const rows = benchRows(phases.has('write') ? rowCount : 0);
  const writeRates: Record<string, number[]> = {};
  for (let round = 0; round < (phases.has('write') ? rounds : 0); round += 1) {
    for (const summaries of round % 2 === 0 ? [true, false] : [false, true]) {
      for (const [writer, write] of [
        ['copy', (database: TestDatabase) => copyRows(database.url, rows, perTransaction)],
        ['unnest', (database: TestDatabase) => unnestRows(database.db, rows, perTransaction)],
      ] as const) {
        const database = await createTestDatabase({ server: server.url });
        if (!summaries) await dropSummaryTriggers(database);
        const seconds = await secondsOf(() => write(database));
        const key = `${writer} ${summaries ? 'with' : 'without'} summaries`;
        (writeRates[key] ??= []).push((await database.rowCount()) / seconds);
        log(`${key}: ${rows.length} rows in ${seconds.toFixed(1)} s`);
        await database.drop();
      }
    }
  }

  const triggerCost = phases.has('trigger') ? await summaryTriggerCost(server.url, Number(options['trigger-statements'])) : undefined;
  for (const [summaries, cost] of Object.entries(triggerCost ?? {})) {
    log(`insert trigger, ${summaries} summaries: ${cost.statementMs.toFixed(1)} ms of statement and ${cost.triggerMs.toFixed(1)} ms of trigger per 1,000 rows`);
  }

  const queryTables: Record<string, unknown> = {};
  if (phases.has('query')) {
    for (const stableNames of [true, false]) queryTables[stableNames ? 'stable names' : 'benchmark names (random per event)'] = await timeQueries(server.url, stableNames);
  }

  const readQueries: Record<string, Record<string, unknown>> = {};
  const readTimings: Record<string, Record<string, Record<ReadWindows, Record<string, QueryTiming>>>> = {};
  if (phases.has('read')) {
    const timescaledb = process.env.TEST_TIMESCALEDB_URL === undefined && timescaledbReadRows.length > 0 ? await startTimescaledbServer() : undefined;
    const timescaledbUrl = process.env.TEST_TIMESCALEDB_URL ?? timescaledb?.server.url;
    const targets = [['PostgreSQL', server.url], ...(timescaledbUrl === undefined ? [] : [['TimescaleDB', timescaledbUrl]])] as const;
    if (targets.length === 1 && timescaledbReadRows.length > 0) log('no TimescaleDB: its source is not beside the repository and TEST_TIMESCALEDB_URL is not set');
    try {
      for (const [target, url] of targets) {
        for (const count of target === 'TimescaleDB' ? timescaledbReadRows : readRows) {
          const timings = await timeReadQueriesAt(url, count, target);
          (readQueries[target] ??= {})[String(count)] = round(timings);
          (readTimings[target] ??= {})[String(count)] = timings;
          for (const [windows, byQuery] of Object.entries(timings)) {
            for (const [query, timing] of Object.entries(byQuery)) {
              log(`${target}, ${count} rows, ${query} (${windows === 'alternate' ? 'no window and last day in turn' : windows === 'none' ? 'no window' : 'last day'}): p50 ${timing.p50Ms.toFixed(1)} ms, p95 ${timing.p95Ms.toFixed(1)} ms (${timing.samples} calls)`);
            }
          }
        }
      }
    } finally {
      await timescaledb?.destroy();
    }
  }

  const targetLines = Object.entries(readQueries).flatMap(([on, byRows]) => {
    const rows = Math.max(...Object.keys(byRows).map(Number));
    const timings = readTimings[on]?.[String(rows)];
    if (timings === undefined) return [];
    const byQuery = Object.fromEntries(Object.entries(timings).flatMap(([windows, byName]) =>
      windows === 'alternate' ? [] : Object.entries(byName).map(([query, timing]) => [`${query}, ${windows === 'none' ? 'no window' : windows}`, timing.p95Ms]),
    ));
    return judgeTargets({ threeReplicasToCeiling: undefined, cpuPerMillion: undefined, latencyP99Ms: {}, peakRssMb: undefined, longRunSteps: {}, rollout: {}, readQueriesP95Ms: { rows, on, byQuery } });
  });
  for (const line of targetLines) log(`target: ${line.name}  ${line.figure} (target ${line.target}): ${line.met ? 'met' : 'NOT met'}`);
  const median = (values: readonly number[]) => Math.round(percentile(values, 0.5));
  process.stdout.write(`${JSON.stringify({
    parameters: { rowCount, perTransaction, rounds, queryRows, repeats },
    writeRowsPerSecond: Object.fromEntries(Object.entries(writeRates).map(([key, rates]) => [key, rates.map(Math.round)])),
    writeMedianRowsPerSecond: Object.fromEntries(Object.entries(writeRates).map(([key, rates]) => [key, median(rates)])),
    triggerMsPerThousandRows: triggerCost,
    queryTables,
    readQueries,
  }, null, 2)}\n`);
} finally {
  await server.destroy();
}
