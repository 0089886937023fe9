import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { sql } from 'kysely';
import { defaultEventLimits } from '../../src/events/event-limits.js';
import { toEventLogRow } from '../../src/events/to-event-log-row.js';
import type { TodoEventLogRow } from '../../src/events/todo-event-log-row.js';
import { startLocalServices } from '../../deploy/local/services/local-services.js';
import { startTimescaledbServer, type TimescaledbServer } from '../../deploy/local/services/timescaledb-server.js';
import { migrate } from '../../src/db/migrate.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { benchEvents } from './bench-events.js';
import { ConsumerReplicas, waitForCommitted } from './consumer-run.js';
import { consumerWritePath, copyBinaryRows, copyBinaryWithoutCoordinatesIndex, copyRows, multiRowValues, rowByRow, unnestRows } from './insert-strategies.js';
import { measureLatency, type LatencyFigures } from './latency-run.js';
import { measureRollout, rollingRestart, scaleUpAndDown, type LatencyStretch, type RolloutFigures, type RolloutScenario } from './rollout-run.js';
import { timeReadQueries, type QueryTiming } from './read-query-timings.js';
import { runFloor, type FloorRun } from './floor-run.js';
import { judgeTargets, type TargetFigures } from './targets.js';
import { measureWriteCost, statementStatsLoaded, type WriteCost } from './write-cost.js';
import { refuseOtherNodeMajor } from '../support/test-node-version.js';

refuseOtherNodeMajor('npm run bench');

/**
 * `npm run bench`: PostgreSQL's ceiling and the Go design's floor for writing the benchmark's rows (with
 * their WAL and execution time per row), then the consumer's throughput (1 and 3 replicas) and memory,
 * produce-to-row latency at steady rates, a long run of 1 replica (on PostgreSQL, then on real TimescaleDB where
 * its source is beside the repository or TEST_TIMESCALEDB_URL names a server), and the read queries timed on the
 * tables those runs filled, all on the same real local Kafka and PostgreSQL in one run. Prints a table;
 * writes the same figures as JSON.
 */
const { values: options } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    partitions: { type: 'string', default: '6' },
    'strategy-rows': { type: 'string', default: '200000' },
    'floor-rows': { type: 'string', default: '20000' },
    'latency-rates': { type: 'string', default: '2000,10000' },
    'latency-seconds': { type: 'string', default: '60' },
    replicas: { type: 'string', default: '1,3' },
    'long-events': { type: 'string', default: '10000000' },
    'read-samples': { type: 'string', default: '50' },
    'read-budget-seconds': { type: 'string', default: '20' },
    'consumer-env': { type: 'string', default: '' },
    'rollout-scenarios': { type: 'string', default: 'rolling-3,rolling-6,scale-3-6-3' },
    'rollout-rate': { type: 'string', default: '2000' },
    'rollout-steady-seconds': { type: 'string', default: '15' },
    'rollout-step-seconds': { type: 'string', default: '5' },
    phases: { type: 'string', default: 'write,throughput,latency,long,long-timescaledb,rollout' },
    output: { type: 'string' },
  },
});
const events = Number(options.events);
const partitions = Number(options.partitions);
const strategyRows = Math.min(Number(options['strategy-rows']), events);
const floorRows = Math.min(Number(options['floor-rows']), events);
const latencyRates = options['latency-rates'].split(',').filter((rate) => rate !== '').map(Number);
const latencySeconds = Number(options['latency-seconds']);
const replicaCounts = options.replicas.split(',').map(Number);
/** Events of the long run of 1 replica (0: none), and the read queries' calls and time budget per query and table. */
const longEvents = Number(options['long-events']);
const readSamples = Number(options['read-samples']);
const readBudgetMs = Number(options['read-budget-seconds']) * 1000;
/**
 * How often each consumer's memory is read from its /metrics (the peak RSS is the kernel's own VmHWM);
 * every read costs the consumer CPU (prom-client collects every process metric), ~9% of it at 250 ms.
 */
const memorySampleMs = 1_000;
/**
 * The consumers run with the environment the container image sets (NODE_OPTIONS' heap caps, glibc's
 * malloc settings), so memory and CPU are measured as deployed.
 */
const dockerfile = readFileSync(new URL('../../../Dockerfile', import.meta.url), 'utf8');
const imageEnv = Object.fromEntries([...dockerfile.slice(dockerfile.indexOf(' AS runtime')).matchAll(/^ENV (\w+)=("?)(.*)\2$/gm)].map((match) => [match[1] ?? '', match[3] ?? '']));
/** Extra settings for the consumer processes, e.g. `--consumer-env KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY=2`. */
const consumerOverrides = Object.fromEntries(
  options['consumer-env'].split(',').filter((pair) => pair.includes('=')).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
);
/** The phases to run, e.g. `--phases rollout` alone. */
const phases = new Set(options.phases.split(','));
const rolloutScenarios = options['rollout-scenarios'].split(',').filter((name) => name !== '').map(rolloutScenario);
const rolloutRate = Number(options['rollout-rate']);
const rolloutSteadySeconds = Number(options['rollout-steady-seconds']);
const rolloutStepSeconds = Number(options['rollout-step-seconds']);
const output = options.output ?? path.join(tmpdir(), `todo-history-bench-${new Date().toISOString().replaceAll(':', '-')}.json`);
const perTransaction = 1_000;

/** `rolling-N`: a rolling restart of N replicas; `scale-A-B-A`: A replicas scaled to B and back. */
function rolloutScenario(name: string): RolloutScenario {
  const rolling = /^rolling-(\d+)$/.exec(name);
  if (rolling !== null) return rollingRestart(Number(rolling[1]));
  const scale = /^scale-(\d+)-(\d+)-\1$/.exec(name);
  if (scale !== null) return scaleUpAndDown(Number(scale[1]), Number(scale[2]));
  throw new Error(`unknown rollout scenario ${name}: use rolling-N or scale-A-B-A`);
}

function log(text: string): void {
  process.stderr.write(`[bench] ${text}\n`);
}

async function timed(run: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await run();
  return (performance.now() - started) / 1000;
}

// pg_stat_statements: the writers' execution time per row (the module ships with PostgreSQL's contrib).
const services = await startLocalServices({ postgres: { settings: { track_commit_timestamp: 'on', shared_preload_libraries: 'pg_stat_statements' } } });
const commitTimestamps = await createTestDatabase({ server: services.databaseUrl, migrated: false });
const { rows: trackCommits } = await sql<{ setting: string }>`SELECT current_setting('track_commit_timestamp') AS setting`.execute(commitTimestamps.db);
const statementStats = await statementStatsLoaded(commitTimestamps.db);
if (!statementStats) log('the PostgreSQL that DATABASE_URL names does not preload pg_stat_statements: the writers\' execution time per row is n/a');
await commitTimestamps.drop();
if (trackCommits[0]?.setting !== 'on') {
  await services.stop();
  throw new Error('latency is read from commit timestamps: set track_commit_timestamp = on on the PostgreSQL that DATABASE_URL names, or unset DATABASE_URL');
}
const kafka = new Kafka({ clientId: 'todo-history-bench', brokers: services.kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
const admin = kafka.admin();
// Idempotent: on a busy machine a produce request can time out after the broker stored it, and a plain
// producer's retry would store it twice (the runs count rows against the events produced).
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
await Promise.all([admin.connect(), producer.connect()]);

async function createTopics(topic: string, count: number): Promise<void> {
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: count }, { topic: `${topic}.dlq`, numPartitions: 1 }] });
}

function consumerEnv(topic: string, groupId: string, databaseUrl: string): Record<string, string> {
  return { KAFKA_BROKERS: services.kafkaBrokers, KAFKA_TOPIC: topic, KAFKA_DLQ_TOPIC: `${topic}.dlq`, KAFKA_GROUP_ID: groupId, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', ...imageEnv, ...consumerOverrides };
}

/**
 * Produces the benchmark's first `count` events into `topic`, 5,000 per send (about 420 kB per partition,
 * under the broker's 1 MB record-batch limit); returns how many are valid and the time taken.
 */
async function produceEvents(topic: string, count: number): Promise<{ valid: number; seconds: number }> {
  let valid = 0;
  let batch: Message[] = [];
  const seconds = await timed(async () => {
    for (const message of benchEvents(count)) {
      if (message.valid) valid += 1;
      batch.push({ key: message.key, value: message.value });
      if (batch.length === 5_000) {
        await producer.send({ topic, messages: batch });
        batch = [];
      }
    }
    if (batch.length > 0) await producer.send({ topic, messages: batch });
  });
  const stored = (await admin.fetchTopicOffsets(topic)).reduce((sum, partition) => sum + Number(partition.high), 0);
  if (stored !== count) throw new Error(`topic ${topic} holds ${stored} messages after ${count} were produced`);
  log(`produced ${count} events (${valid} valid) into ${partitions} partitions in ${seconds.toFixed(1)} s`);
  return { valid, seconds };
}

type PeakMemoryMb = ReturnType<ConsumerReplicas['peakMemoryMb']>;

interface ConsumerRun {
  eventsPerSecond: number;
  seconds: number;
  rows: number;
  peakRssMb: number[];
  /** CPU seconds of all replicas together per 1,000,000 events, from the first commit to the last (start-up left out). */
  cpuSecondsPerMillion: number;
  /** Each replica's highest heap, external and generation sizes read from its /metrics, in MiB. */
  peakMemoryMb: PeakMemoryMb;
}

/**
 * `replicas` consumers drain `count` pre-produced events of `topic` into a fresh database, from process
 * start to the last offset committed; `onProgress` sees the committed sum and the seconds since start.
 * Leaves the database for `inspect` (the read queries) and drops it after.
 */
async function drain(
  topic: string,
  count: number,
  valid: number,
  replicas: number,
  inspect: (database: TestDatabase) => Promise<void>,
  onProgress: (committed: number, seconds: number) => void = () => undefined,
  createDatabase: () => Promise<TestDatabase> = () => createTestDatabase({ server: services.databaseUrl }),
): Promise<ConsumerRun> {
  const database = await createDatabase();
  const groupId = `bench-${replicas}-${randomUUID()}`;
  const started = performance.now();
  const consumers = await ConsumerReplicas.start(replicas, consumerEnv(topic, groupId, database.url));
  try {
    consumers.sampleMemory(memorySampleMs);
    let first: { committed: number; cpuSeconds: number } | undefined;
    await waitForCommitted(admin, groupId, topic, count, 3_600_000, (committed) => {
      // Start-up is left out of the per-event figure; a run too short to measure after it counts from process start.
      if (first === undefined && committed > 0 && committed <= count / 2) first = { committed, cpuSeconds: sum(consumers.cpuSeconds()) };
      onProgress(committed, (performance.now() - started) / 1000);
    });
    const seconds = (performance.now() - started) / 1000;
    await consumers.sampleMemoryNow();
    const peakRss = consumers.peakRssBytes();
    const peakMemoryMb = consumers.peakMemoryMb();
    const cpuSeconds = sum(consumers.cpuSeconds()) - (first?.cpuSeconds ?? 0);
    const cpuEvents = count - (first?.committed ?? 0);
    await consumers.stop();
    const stored = await database.rowCount();
    if (stored !== valid) throw new Error(`${replicas} replica(s) stored ${stored} rows for ${valid} valid events`);
    log(`${replicas} replica(s): ${count} events in ${seconds.toFixed(1)} s, ${stored} rows`);
    await inspect(database);
    return { eventsPerSecond: count / seconds, seconds, rows: stored, peakRssMb: peakRss.map((b) => b / 1_048_576), cpuSecondsPerMillion: (cpuSeconds / cpuEvents) * 1e6, peakMemoryMb };
  } finally {
    await consumers.stop();
    await database.drop();
  }
}

type LongRun = ConsumerRun & { database: string; events: number; produceSeconds: number; stepEvents: number; stepEventsPerSecond: number[] };

/** The long topic drained by 1 replica into a new database, its throughput timed per tenth of the events. */
async function longRun(
  topic: string,
  produced: { valid: number; seconds: number },
  database: string,
  createDatabase: () => Promise<TestDatabase>,
  inspect: (database: TestDatabase) => Promise<void>,
): Promise<LongRun> {
  const stepEvents = Math.ceil(longEvents / 10);
  const stepDone: number[] = [];
  const run = await drain(topic, longEvents, produced.valid, 1, inspect, (committed, seconds) => {
    while (stepDone.length < 10 && committed >= Math.min(longEvents, (stepDone.length + 1) * stepEvents)) {
      stepDone.push(seconds);
      log(`long run on ${database}: ${Math.min(longEvents, stepDone.length * stepEvents)} events committed after ${seconds.toFixed(1)} s`);
    }
  }, createDatabase);
  // Tenths that completed within the same poll share that poll's interval.
  const stepEventsPerSecond = stepDone.map((seconds) => {
    const first = stepDone.indexOf(seconds);
    const merged = stepDone.lastIndexOf(seconds) - first + 1;
    const events = Math.min(longEvents, (first + merged) * stepEvents) - first * stepEvents;
    return events / (seconds - (stepDone[first - 1] ?? 0));
  });
  return { ...run, database, events: longEvents, produceSeconds: produced.seconds, stepEvents, stepEventsPerSecond };
}

/** A database on a TimescaleDB server with the extension created first, so that the migrations make the table a hypertable. */
async function timescaledbDatabase(serverUrl: string): Promise<TestDatabase> {
  const database = await createTestDatabase({ server: serverUrl, migrated: false });
  await sql`CREATE EXTENSION IF NOT EXISTS timescaledb`.execute(database.db);
  const outcome = await migrate(database.db, 'latest');
  if (outcome.kind !== 'ran') throw new Error(`migrate latest did not run on TimescaleDB: ${outcome.kind}`);
  return database;
}

async function readQueries(database: TestDatabase): Promise<Record<string, QueryTiming>> {
  const timings = await timeReadQueries(database.db, readSamples, readBudgetMs);
  log(`read queries on ${await database.rowCount()} rows: ${Object.entries(timings).map(([name, t]) => `${name} p50 ${t.p50Ms.toFixed(1)} ms`).join(', ')}`);
  return timings;
}

const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);
const mb = (value: number | undefined): string => (value === undefined ? '?' : value.toFixed(0));

function memoryBreakdown(peaks: PeakMemoryMb): string {
  return peaks
    .map((peak) => (peak === undefined ? 'n/a' : `heap ${mb(peak.heapUsed)}/${mb(peak.heapTotal)} (new ${mb(peak.newSpaceUsed)}, old ${mb(peak.oldSpaceUsed)}), external ${mb(peak.external)} (ArrayBuffers ${mb(peak.arrayBuffers)})`))
    .join('; ');
}

interface Results {
  writeRowsPerSecond: Record<string, number>;
  writeCost: Record<string, WriteCost>;
  throughput: Record<string, ConsumerRun>;
  /** The fetch-and-parse floor over the throughput phase's topic. */
  floor: (FloorRun & { cpuSecondsPerMillion: number }) | undefined;
  ratios: { throughputToCeiling?: number; throughputToFloor?: number; longToShort?: number | undefined };
  latency: Record<string, LatencyFigures>;
  long: LongRun | undefined;
  longTimescaledb: LongRun | undefined;
  readQueryMs: Record<string, Record<string, QueryTiming>>;
  rollout: RolloutFigures[];
}

const latencyText = (l: LatencyStretch): string => `${l.p50.toFixed(0)} / ${l.p99.toFixed(0)} / ${l.max.toFixed(0)} ms`;

function printTable(results: Results): void {
  const { writeRowsPerSecond: strategies, writeCost, throughput, floor, ratios, latency, long, longTimescaledb, readQueryMs, rollout } = results;
  const strategyLines: [string, string][] = [
    ['copy', 'ceiling: COPY, 1,000 rows/txn'],
    ['copyBinary', 'binary COPY, 1,000 rows/txn'],
    ['copyBinaryWithoutCoordinatesIndex', 'binary COPY without the coordinates index'],
    ['consumerWritePath', 'the consumer\'s write path (offset + binary COPY)'],
    ['unnest', 'unnest arrays, ON CONFLICT DO NOTHING'],
    ['values', 'multi-row VALUES (Kysely .values)'],
    ['rowByRow', 'floor: one INSERT per event (Go design)'],
  ];
  const ratioLine = (name: string, ratio: number | undefined, format = (value: number) => value.toFixed(2)): [string, string][] =>
    ratio === undefined || Number.isNaN(ratio) ? [] : [[name, format(ratio)]];
  const rowsOut: [string, string][] = [
    ...strategyLines.flatMap(([key, name]): [string, string][] => {
      const rowsPerSecond = strategies[key];
      return rowsPerSecond === undefined ? [] : [[name, `${Math.round(rowsPerSecond)} rows/s`]];
    }),
    ...Object.entries(writeCost).map(([name, cost]): [string, string] => [
      `PostgreSQL per row: ${name}, WAL / execution`,
      `${cost.walBytesPerRow.toFixed(0)} B / ${cost.executionMsPerRow === null ? 'n/a (no pg_stat_statements)' : `${(cost.executionMsPerRow * 1000).toFixed(1)} µs`}`,
    ]),
    ...Object.entries(throughput).flatMap(([replicas, t]): [string, string][] => [
      [`consumer, ${replicas} replica(s), ${events} events`, `${Math.round(t.eventsPerSecond)} events/s (${t.seconds.toFixed(1)} s), peak RSS ${t.peakRssMb.map(mb).join('/')} MB`],
      [`  peak memory, MB`, memoryBreakdown(t.peakMemoryMb)],
      [`  CPU seconds per 1,000,000 events`, t.cpuSecondsPerMillion.toFixed(1)],
    ]),
    ...(floor === undefined
      ? []
      : ([
          [`floor: fetch and parse only (kafkajs, no database), ${events} events`, `${Math.round(floor.eventsPerSecond)} events/s (${floor.seconds.toFixed(1)} s), peak RSS ${mb(floor.peakRssMb)} MB`],
          [`  CPU seconds per 1,000,000 events`, floor.cpuSecondsPerMillion.toFixed(1)],
        ] as [string, string][])),
    ...ratioLine('1 replica / ceiling', ratios.throughputToCeiling),
    ...ratioLine('1 replica / floor', ratios.throughputToFloor, (ratio) => `${ratio.toFixed(1)}x`),
    ...Object.values(latency).map((l): [string, string] => [
      `latency at ${l.targetPerSecond}/s for ${latencySeconds} s, p50/p95/p99`,
      `${l.p50.toFixed(0)} / ${l.p95.toFixed(0)} / ${l.p99.toFixed(0)} ms (achieved ${Math.round(l.achievedPerSecond)}/s)`,
    ]),
    ...[long, longTimescaledb].flatMap((run): [string, string][] =>
      run === undefined
        ? []
        : [
            [`consumer, 1 replica, ${run.events} events, ${run.database}`, `${Math.round(run.eventsPerSecond)} events/s (${run.seconds.toFixed(1)} s; produced in ${run.produceSeconds.toFixed(1)} s), peak RSS ${run.peakRssMb.map(mb).join('/')} MB`],
            [`  per ${run.stepEvents} events, events/s`, run.stepEventsPerSecond.map((r) => Math.round(r)).join(' ')],
            [`  CPU seconds per 1,000,000 events`, run.cpuSecondsPerMillion.toFixed(1)],
            ...(run === long ? ratioLine(`  ${long.events} / ${events} events throughput, PostgreSQL`, ratios.longToShort) : []),
          ],
    ),
    ...Object.entries(readQueryMs).flatMap(([rows, timings]) =>
      Object.entries(timings).map(([name, t]): [string, string] => [`${name} on the ${rows}-event table, p50/p95`, `${t.p50Ms.toFixed(1)} / ${t.p95Ms.toFixed(1)} ms (${t.samples} calls)`]),
    ),
    ...rollout.flatMap((r): [string, string][] => [
      [`${r.scenario} at ${r.targetPerSecond}/s, steady p50/p99/max`, `${latencyText(r.steady)} (achieved ${Math.round(r.achievedPerSecond)}/s)`],
      [`  during the changes, p50/p99/max`, `${latencyText(r.rollout)} (target p99 ≤ 500, max ≤ 1000)`],
      [`  longest without a commit, group / a partition`, `${r.longestWithoutCommitMs.group.toFixed(0)} / ${r.longestWithoutCommitMs.partition.toFixed(0)} ms (consumers' output: ${r.consumerLog})`],
    ]),
  ];
  const width = Math.max(...rowsOut.map(([name]) => name.length));
  const targets = judgeTargets(targetFigures(results));
  const targetWidth = Math.max(0, ...targets.map((line) => line.name.length));
  const targetText = targets.map((line) => `${line.name.padEnd(targetWidth)}  ${line.figure} (target ${line.target}): ${line.met ? 'met' : 'NOT met'}`).join('\n');
  process.stdout.write(`\n${rowsOut.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join('\n')}\n\ntargets:\n${targetText}\n\nfigures as JSON: ${output}\n`);
}

/** The figures the targets are judged on, from the results. */
function targetFigures({ writeRowsPerSecond: strategies, throughput, floor, latency, long, longTimescaledb, readQueryMs, rollout }: Results): TargetFigures {
  const three = throughput['3'];
  const ceiling = strategies.copy;
  const largest = Object.keys(readQueryMs).map(Number).sort((a, b) => b - a)[0];
  const peaks = [...Object.values(throughput), ...(long === undefined ? [] : [long])].flatMap((run) => run.peakRssMb);
  return {
    threeReplicasToCeiling: three === undefined || ceiling === undefined ? undefined : three.eventsPerSecond / ceiling,
    cpuPerMillion: throughput['1'] === undefined || floor === undefined ? undefined : { consumer: throughput['1'].cpuSecondsPerMillion, floor: floor.cpuSecondsPerMillion },
    latencyP99Ms: Object.fromEntries(Object.entries(latency).map(([rate, figures]) => [rate, figures.p99])),
    peakRssMb: peaks.length === 0 ? undefined : Math.max(...peaks),
    longRunSteps: Object.fromEntries([long, longTimescaledb].flatMap((run) => (run === undefined ? [] : [[run.database, run.stepEventsPerSecond]]))),
    readQueriesP95Ms:
      largest === undefined ? undefined : { rows: largest, byQuery: Object.fromEntries(Object.entries(readQueryMs[String(largest)] ?? {}).map(([query, timing]) => [query, timing.p95Ms])) },
    rollout: Object.fromEntries(rollout.map((r) => [r.scenario, { p99: r.rollout.p99, max: r.rollout.max }])),
  };
}

let timescaledb: TimescaledbServer | undefined;
try {
  // The rows every strategy writes: the benchmark's own valid events, mapped as the consumer maps them.
  const rows: TodoEventLogRow[] = [];
  let offset = 0;
  for (const message of benchEvents(strategyRows)) {
    if (!message.valid) continue;
    rows.push(toEventLogRow({ value: Buffer.from(String(message.value)), timestamp: '0' }, { topic: 'bench', partition: offset % partitions, offset: String(offset) }, defaultEventLimits).row);
    offset += 1;
  }

  const strategies: Record<string, number> = {};
  const writeCost: Record<string, WriteCost> = {};
  for (const [name, write] of !phases.has('write') ? [] : [
    ['copy', (db: TestDatabase) => copyRows(db.url, rows, perTransaction)],
    ['copyBinary', (db: TestDatabase) => copyBinaryRows(db.url, rows, perTransaction)],
    ['copyBinaryWithoutCoordinatesIndex', (db: TestDatabase) => copyBinaryWithoutCoordinatesIndex(db.url, rows, perTransaction)],
    ['consumerWritePath', (db: TestDatabase) => consumerWritePath(db.url, rows, perTransaction)],
    ['unnest', (db: TestDatabase) => unnestRows(db.db, rows, perTransaction)],
    ['values', (db: TestDatabase) => multiRowValues(db.db, rows, perTransaction)],
    ['rowByRow', (db: TestDatabase) => rowByRow(db.url, rows.slice(0, floorRows))],
  ] as const) {
    const database = await createTestDatabase({ server: services.databaseUrl });
    const { rows: written, seconds, ...cost } = await measureWriteCost(database.db, statementStats, () => write(database), () => database.rowCount());
    strategies[name] = written / seconds;
    writeCost[name] = cost;
    log(`${name}: ${written} rows in ${seconds.toFixed(1)} s, ${cost.walBytesPerRow.toFixed(0)} WAL bytes/row`);
    await database.drop();
  }

  const throughput: Record<string, ConsumerRun> = {};
  const readQueryMs: Record<string, Record<string, QueryTiming>> = {};
  const topic = `bench-${randomUUID()}`;
  let valid = 0;
  if (phases.has('throughput')) {
    await createTopics(topic, partitions);
    ({ valid } = await produceEvents(topic, events));
  }
  for (const replicas of phases.has('throughput') ? replicaCounts : []) {
    throughput[String(replicas)] = await drain(topic, events, valid, replicas, async (database) => {
      if (replicas === 1 && readSamples > 0) readQueryMs[String(events)] = await readQueries(database);
    });
  }
  let floor: Results['floor'];
  if (phases.has('throughput')) {
    const run = await runFloor(consumerEnv(topic, `bench-floor-${randomUUID()}`, services.databaseUrl), events, 3_600_000);
    floor = { ...run, cpuSecondsPerMillion: (run.cpuSeconds / run.cpuEvents) * 1e6 };
    log(`floor: ${events} events fetched and parsed in ${run.seconds.toFixed(1)} s, ${run.cpuSeconds.toFixed(1)} CPU s`);
  }

  const latency: Record<string, LatencyFigures> = {};
  for (const rate of phases.has('latency') ? latencyRates : []) {
    const database = await createTestDatabase({ server: services.databaseUrl });
    try {
      latency[String(rate)] = await measureLatency(
        { admin, producer, database, createTopics: (name) => createTopics(name, partitions), consumerEnv: (name, groupId) => consumerEnv(name, groupId, database.url) },
        rate,
        latencySeconds,
      );
    } finally {
      await database.drop();
    }
    log(`latency at ${rate}/s: achieved ${latency[String(rate)]?.achievedPerSecond.toFixed(0)}/s`);
  }

  // The long run: does 1 replica keep its pace as the table and its indexes grow? On a hypertable, whose indexes are per chunk?
  let long: LongRun | undefined;
  let longTimescaledb: LongRun | undefined;
  if (longEvents > 0 && (phases.has('long') || phases.has('long-timescaledb'))) {
    const longTopic = `bench-long-${randomUUID()}`;
    await createTopics(longTopic, partitions);
    const produced = await produceEvents(longTopic, longEvents);
    if (phases.has('long')) {
      long = await longRun(longTopic, produced, 'PostgreSQL', () => createTestDatabase({ server: services.databaseUrl }), async (database) => {
        if (readSamples > 0) readQueryMs[String(longEvents)] = await readQueries(database);
      });
    }
    if (phases.has('long-timescaledb')) {
      const timescaledbUrl = process.env.TEST_TIMESCALEDB_URL ?? (timescaledb = await startTimescaledbServer())?.server.url;
      if (timescaledbUrl === undefined) log('long run on TimescaleDB not run: its source is not beside the repository and TEST_TIMESCALEDB_URL is not set');
      else longTimescaledb = await longRun(longTopic, produced, 'TimescaleDB', () => timescaledbDatabase(timescaledbUrl), async () => undefined);
    }
  }

  // Deploys and scale events: replicas change while events arrive, every one stored exactly once.
  const rollout: RolloutFigures[] = [];
  for (const scenario of phases.has('rollout') ? rolloutScenarios : []) {
    const database = await createTestDatabase({ server: services.databaseUrl });
    try {
      const figures = await measureRollout(
        { admin, producer, database, createTopics: (name) => createTopics(name, partitions), consumerEnv: (name, groupId) => consumerEnv(name, groupId, database.url) },
        scenario,
        rolloutRate,
        rolloutSteadySeconds,
        rolloutStepSeconds,
      );
      rollout.push(figures);
      log(`${scenario.name}: steady p99 ${figures.steady.p99.toFixed(0)} ms, during the changes p99 ${figures.rollout.p99.toFixed(0)} ms, max ${figures.rollout.max.toFixed(0)} ms`);
    } finally {
      await database.drop();
    }
  }

  const single = throughput['1'];
  const results = {
    machine: { cores: (await import('node:os')).cpus().length, node: process.version },
    parameters: {
      events, partitions, strategyRows, floorRows, perTransaction, latencyRates, latencySeconds, longEvents, readSamples, imageEnv, consumerOverrides,
      phases: [...phases], rolloutScenarios: rolloutScenarios.map((scenario) => scenario.name), rolloutRate, rolloutSteadySeconds, rolloutStepSeconds,
    },
    writeRowsPerSecond: strategies,
    writeCost,
    throughput,
    floor,
    ratios: single
      ? {
          throughputToCeiling: single.eventsPerSecond / (strategies.copy ?? Number.NaN),
          throughputToFloor: single.eventsPerSecond / (strategies.rowByRow ?? Number.NaN),
          longToShort: long === undefined ? undefined : long.eventsPerSecond / single.eventsPerSecond,
        }
      : {},
    latency,
    long,
    longTimescaledb,
    readQueryMs,
    rollout,
  };
  writeFileSync(output, `${JSON.stringify(results, null, 2)}\n`);
  printTable(results);
} finally {
  await Promise.all([admin.disconnect(), producer.disconnect()]);
  await Promise.all([services.stop(), timescaledb?.destroy()]);
}
