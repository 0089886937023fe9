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
import { createTestDatabase } from '../support/test-database.js';
import { benchEvents } from './bench-events.js';
import { ConsumerReplicas, waitForCommitted } from './consumer-run.js';
import { copyBinaryRows, copyRows, multiRowValues, rowByRow, unnestRows } from './insert-strategies.js';
import { percentile } from './percentile.js';
import { refuseOtherNodeMajor } from '../support/test-node-version.js';

refuseOtherNodeMajor('npm run bench');

/**
 * `npm run bench`: PostgreSQL's ceiling and the Go design's floor for writing the benchmark's rows, then
 * the consumer's throughput (1 and 3 replicas), produce-to-row latency and peak memory, all on the same
 * real local Kafka and PostgreSQL in one run. Prints a table; writes the same figures as JSON.
 */
const { values: options } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    partitions: { type: 'string', default: '6' },
    'strategy-rows': { type: 'string', default: '200000' },
    'floor-rows': { type: 'string', default: '20000' },
    'latency-rate': { type: 'string', default: '2000' },
    'latency-seconds': { type: 'string', default: '60' },
    replicas: { type: 'string', default: '1,3' },
    'consumer-env': { type: 'string', default: '' },
    output: { type: 'string' },
  },
});
const events = Number(options.events);
const partitions = Number(options.partitions);
const strategyRows = Math.min(Number(options['strategy-rows']), events);
const floorRows = Math.min(Number(options['floor-rows']), events);
const latencyRate = Number(options['latency-rate']);
const latencySeconds = Number(options['latency-seconds']);
const replicaCounts = options.replicas.split(',').map(Number);
/** The consumers run with the container image's NODE_OPTIONS, so memory is measured as deployed. */
const imageNodeOptions = /^ENV NODE_OPTIONS=(.*)$/m.exec(readFileSync(new URL('../../../Dockerfile', import.meta.url), 'utf8'))?.[1] ?? '';
/** Extra settings for the consumer processes, e.g. `--consumer-env KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY=2`. */
const consumerOverrides = Object.fromEntries(
  options['consumer-env'].split(',').filter((pair) => pair.includes('=')).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
);
const output = options.output ?? path.join(tmpdir(), `todo-history-bench-${new Date().toISOString().replaceAll(':', '-')}.json`);
const perTransaction = 1_000;

function log(text: string): void {
  process.stderr.write(`[bench] ${text}\n`);
}

async function timed(run: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await run();
  return (performance.now() - started) / 1000;
}

const services = await startLocalServices({ postgres: { settings: { track_commit_timestamp: 'on' } } });
const commitTimestamps = await createTestDatabase({ server: services.databaseUrl, migrated: false });
const { rows: trackCommits } = await sql<{ setting: string }>`SELECT current_setting('track_commit_timestamp') AS setting`.execute(commitTimestamps.db);
await commitTimestamps.drop();
if (trackCommits[0]?.setting !== 'on') {
  await services.stop();
  throw new Error('latency is read from commit timestamps: set track_commit_timestamp = on on the PostgreSQL that DATABASE_URL names, or unset DATABASE_URL');
}
const kafka = new Kafka({ clientId: 'todo-history-bench', brokers: services.kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const producer = kafka.producer();
await Promise.all([admin.connect(), producer.connect()]);

async function createTopics(topic: string, count: number): Promise<void> {
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: count }, { topic: `${topic}.dlq`, numPartitions: 1 }] });
}

function consumerEnv(topic: string, groupId: string, databaseUrl: string): Record<string, string> {
  return { KAFKA_BROKERS: services.kafkaBrokers, KAFKA_TOPIC: topic, KAFKA_DLQ_TOPIC: `${topic}.dlq`, KAFKA_GROUP_ID: groupId, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', NODE_OPTIONS: imageNodeOptions, ...consumerOverrides };
}

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
  for (const [name, write] of [
    ['copy', (db: Awaited<ReturnType<typeof createTestDatabase>>) => copyRows(db.url, rows, perTransaction)],
    ['copyBinary', (db: Awaited<ReturnType<typeof createTestDatabase>>) => copyBinaryRows(db.url, rows, perTransaction)],
    ['unnest', (db: Awaited<ReturnType<typeof createTestDatabase>>) => unnestRows(db.db, rows, perTransaction)],
    ['values', (db: Awaited<ReturnType<typeof createTestDatabase>>) => multiRowValues(db.db, rows, perTransaction)],
    ['rowByRow', (db: Awaited<ReturnType<typeof createTestDatabase>>) => rowByRow(db.url, rows.slice(0, floorRows))],
  ] as const) {
    const database = await createTestDatabase({ server: services.databaseUrl });
    const seconds = await timed(() => write(database));
    const written = await database.rowCount();
    strategies[name] = written / seconds;
    log(`${name}: ${written} rows in ${seconds.toFixed(1)} s`);
    await database.drop();
  }

  const topic = `bench-${randomUUID()}`;
  await createTopics(topic, partitions);
  let valid = 0;
  let batch: Message[] = [];
  const produceSeconds = await timed(async () => {
    for (const message of benchEvents(events)) {
      if (message.valid) valid += 1;
      batch.push({ key: message.key, value: message.value });
      if (batch.length === 2_000) {
        await producer.send({ topic, messages: batch });
        batch = [];
      }
    }
    if (batch.length > 0) await producer.send({ topic, messages: batch });
  });
  log(`produced ${events} events (${valid} valid) into ${partitions} partitions in ${produceSeconds.toFixed(1)} s`);

  const throughput: Record<string, { eventsPerSecond: number; seconds: number; rows: number; peakRssMb: number[] }> = {};
  for (const replicas of replicaCounts) {
    const database = await createTestDatabase({ server: services.databaseUrl });
    const groupId = `bench-${replicas}-${randomUUID()}`;
    let consumers: ConsumerReplicas | undefined;
    const seconds = await timed(async () => {
      consumers = await ConsumerReplicas.start(replicas, consumerEnv(topic, groupId, database.url));
      await waitForCommitted(admin, groupId, topic, events, 1_800_000);
    });
    const peakRss = consumers?.peakRssBytes() ?? [];
    await consumers?.stop();
    const stored = await database.rowCount();
    if (stored !== valid) throw new Error(`${replicas} replica(s) stored ${stored} rows for ${valid} valid events`);
    throughput[String(replicas)] = { eventsPerSecond: events / seconds, seconds, rows: stored, peakRssMb: peakRss.map((b) => b / 1_048_576) };
    log(`${replicas} replica(s): ${events} events in ${seconds.toFixed(1)} s, ${stored} rows`);
    await database.drop();
  }

  const latencyDatabase = await createTestDatabase({ server: services.databaseUrl });
  const latencyTopic = `bench-latency-${randomUUID()}`;
  await createTopics(latencyTopic, partitions);
  const latencyGroup = `bench-latency-${randomUUID()}`;
  const latencyConsumer = await ConsumerReplicas.start(1, consumerEnv(latencyTopic, latencyGroup, latencyDatabase.url));
  await producer.send({ topic: latencyTopic, messages: [{ value: 'warm-up' }] });
  await waitForCommitted(admin, latencyGroup, latencyTopic, 1, 60_000);
  const tickMs = 10;
  const perTick = Math.max(1, Math.round((latencyRate * tickMs) / 1000));
  const ticks = Math.round((latencySeconds * 1000) / tickMs);
  const latencyStream = benchEvents(ticks * perTick, 7);
  const sends: Promise<unknown>[] = [];
  const startedAt = Date.now();
  let produced = 0;
  for (let tick = 0; tick < ticks; tick += 1) {
    const due = startedAt + tick * tickMs;
    if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    const messages: Message[] = [];
    for (let i = 0; i < perTick; i += 1) {
      const next = latencyStream.next();
      if (next.done === true || !next.value.valid) continue;
      const event = JSON.parse(String(next.value.value)) as { payload: Record<string, unknown> };
      event.payload.producedAt = Date.now();
      messages.push({ key: next.value.key, value: JSON.stringify(event) });
    }
    produced += messages.length;
    sends.push(producer.send({ topic: latencyTopic, messages }));
  }
  await Promise.all(sends);
  await waitForCommitted(admin, latencyGroup, latencyTopic, produced + 1, 300_000);
  await latencyConsumer.stop();
  const { rows: latencies } = await sql<{ ms: number }>`
    SELECT (extract(epoch FROM pg_xact_commit_timestamp(xmin)) * 1000 - (event_data->'payload'->>'producedAt')::float8)::float8 AS ms
    FROM todo_event_logs`.execute(latencyDatabase.db);
  await latencyDatabase.drop();
  const latencyMs = latencies.map((r) => r.ms);

  const single = throughput['1'];
  const results = {
    machine: { cores: (await import('node:os')).cpus().length, node: process.version },
    parameters: { events, partitions, strategyRows, floorRows, perTransaction, latencyRate, latencySeconds, imageNodeOptions, consumerOverrides },
    writeRowsPerSecond: strategies,
    throughput,
    ratios: single
      ? { throughputToCeiling: single.eventsPerSecond / (strategies.copy ?? Number.NaN), throughputToFloor: single.eventsPerSecond / (strategies.rowByRow ?? Number.NaN) }
      : {},
    latencyMs: { p50: percentile(latencyMs, 0.5), p95: percentile(latencyMs, 0.95), p99: percentile(latencyMs, 0.99), samples: latencyMs.length },
  };
  writeFileSync(output, `${JSON.stringify(results, null, 2)}\n`);

  const rowsOut: [string, string][] = [
    ['ceiling: COPY, 1,000 rows/txn', `${Math.round(strategies.copy ?? 0)} rows/s`],
    ['binary COPY (copyEventLogs), 1,000 rows/txn', `${Math.round(strategies.copyBinary ?? 0)} rows/s`],
    ['unnest arrays (the consumer\'s writer)', `${Math.round(strategies.unnest ?? 0)} rows/s`],
    ['multi-row VALUES (Kysely .values)', `${Math.round(strategies.values ?? 0)} rows/s`],
    ['floor: one INSERT per event (Go design)', `${Math.round(strategies.rowByRow ?? 0)} rows/s`],
    ...Object.entries(throughput).map(([replicas, t]): [string, string] => [
      `consumer, ${replicas} replica(s), ${events} events`,
      `${Math.round(t.eventsPerSecond)} events/s (${t.seconds.toFixed(1)} s), peak RSS ${t.peakRssMb.map((m) => m.toFixed(0)).join('/')} MB`,
    ]),
    ['1 replica / ceiling', results.ratios.throughputToCeiling?.toFixed(2) ?? 'n/a'],
    ['1 replica / floor', `${results.ratios.throughputToFloor?.toFixed(1) ?? 'n/a'}x`],
    [`latency at ${latencyRate}/s for ${latencySeconds} s, p50/p95/p99`, `${results.latencyMs.p50.toFixed(0)} / ${results.latencyMs.p95.toFixed(0)} / ${results.latencyMs.p99.toFixed(0)} ms`],
  ];
  const width = Math.max(...rowsOut.map(([name]) => name.length));
  process.stdout.write(`\n${rowsOut.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join('\n')}\n\nfigures as JSON: ${output}\n`);
} finally {
  await Promise.all([admin.disconnect(), producer.disconnect()]);
  await services.stop();
}
