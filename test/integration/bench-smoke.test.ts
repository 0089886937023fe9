import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import { benchEvents } from '../bench/bench-events.js';
import { realTimescaledbUrl } from '../support/real-timescaledb.js';

const bench = fileURLToPath(new URL('../bench/run-bench.js', import.meta.url));
const events = 20_000;
const longEvents = 30_000;

interface ConsumerRun {
  rows: number;
  eventsPerSecond: number;
  cpuSecondsPerMillion: number;
  peakMemoryMb: ({ rss: number; heapUsed: number; external: number; arrayBuffers: number } | null)[];
}

interface BenchResults {
  throughput: Record<string, ConsumerRun>;
  floor: { eventsPerSecond: number; cpuSecondsPerMillion: number };
  writeRowsPerSecond: Record<string, number>;
  writeCost: Record<string, { walBytesPerRow: number; executionMsPerRow: number | null }>;
  latency: Record<string, { samples: number; achievedPerSecond: number }>;
  long: ConsumerRun & { stepEventsPerSecond: number[] };
  longTimescaledb?: ConsumerRun & { stepEventsPerSecond: number[] };
  readQueryMs: Record<string, Record<string, { samples: number; p95Ms: number }>>;
  rollout: { scenario: string; rows: number; steady: { samples: number }; rollout: { samples: number } }[];
}

const validOf = (count: number, seed?: number): number => [...benchEvents(count, seed)].filter((e) => e.valid).length;

it('the benchmark runs every phase end to end at small scale and every consumer run stores exactly the valid events', async () => {
  const output = path.join(mkdtempSync(path.join(tmpdir(), 'todo-history-bench-')), 'results.json');
  const child = spawn(
    process.execPath,
    [
      bench, '--events', String(events), '--strategy-rows', '5000', '--floor-rows', '500', '--latency-rates', '500,1000', '--latency-seconds', '3',
      '--replicas', '1,3', '--long-events', String(longEvents), '--read-samples', '3',
      '--rollout-scenarios', 'rolling-2', '--rollout-rate', '200', '--rollout-steady-seconds', '2', '--rollout-step-seconds', '2', '--output', output,
    ],
    { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, log.slice(-3_000));

  const results = JSON.parse(readFileSync(output, 'utf8')) as BenchResults;
  assert.deepEqual(Object.keys(results.throughput), ['1', '3']);
  for (const run of Object.values(results.throughput)) assert.equal(run.rows, validOf(events));
  assert.equal(results.long.rows, validOf(longEvents));
  assert.equal(results.long.stepEventsPerSecond.length, 10);
  const timescaledb = realTimescaledbUrl() !== undefined;
  if (timescaledb) {
    assert.equal(results.longTimescaledb?.rows, validOf(longEvents), 'the long run on TimescaleDB stored exactly the valid events');
    assert.equal(results.longTimescaledb.stepEventsPerSecond.length, 10);
  } else {
    assert.equal(results.longTimescaledb, undefined);
    assert.match(log, /long run on TimescaleDB not run: its source is not beside the repository/);
  }
  assert.deepEqual(Object.keys(results.writeRowsPerSecond).sort(), ['consumerWritePath', 'copy', 'copyBinary', 'copyBinaryWithoutCoordinatesIndex', 'rowByRow', 'unnest', 'values']);
  for (const cost of Object.values(results.writeCost)) {
    assert.ok(cost.walBytesPerRow > 100, `WAL per row ${cost.walBytesPerRow}`);
    assert.ok(cost.executionMsPerRow !== null && cost.executionMsPerRow > 0, `execution per row ${cost.executionMsPerRow}`);
  }
  assert.deepEqual(Object.keys(results.latency), ['500', '1000']);
  assert.equal(results.latency['500']?.samples, validOf(1_500, 7));
  assert.equal(results.latency['1000']?.samples, validOf(3_000, 7));
  assert.ok(results.floor.cpuSecondsPerMillion > 0 && results.floor.eventsPerSecond > 0, JSON.stringify(results.floor));
  for (const run of Object.values(results.throughput)) assert.ok(run.cpuSecondsPerMillion > 0, `CPU seconds per 1M ${run.cpuSecondsPerMillion}`);
  const memory = results.throughput['1']?.peakMemoryMb[0];
  assert.ok(memory && memory.heapUsed > 0 && memory.rss >= memory.heapUsed && memory.arrayBuffers > 0 && memory.external >= memory.arrayBuffers, JSON.stringify(memory));
  assert.deepEqual(Object.keys(results.readQueryMs), [String(events), String(longEvents)]);
  for (const timings of Object.values(results.readQueryMs)) {
    assert.deepEqual(Object.keys(timings), ['getGroupLogs', 'getTaskLogs', 'getGroupsSummary', 'getGroupTasksSummary']);
    for (const timing of Object.values(timings)) assert.equal(timing.samples, 3);
  }
  assert.deepEqual(results.rollout.map((r) => [r.scenario, r.rows]), [['rolling restart of 2', validOf(2_000, 7)]], 'every event of the rollout stored once');
  // The summary ends with one line per target of the phases that ran (no 2,000/s or 10,000/s latency run here).
  const targets = log.slice(log.lastIndexOf('\ntargets:\n')).split('\n').filter((line) => / \(target .*\): (met|NOT met)$/.test(line));
  assert.deepEqual(
    targets.map((line) => line.split('  ')[0]?.trim()),
    [
      '3 replicas / COPY ceiling',
      'CPU per event, 1 replica / fetch-and-parse floor',
      'peak RSS of one replica',
      'long run on PostgreSQL, last step / first step',
      ...(timescaledb ? ['long run on TimescaleDB, last step / first step'] : []),
      ...['getGroupLogs', 'getTaskLogs', 'getGroupsSummary', 'getGroupTasksSummary'].map((query) => `${query} p95 on ${longEvents} rows`),
      'rolling restart of 2, p99 / max',
    ],
  );
  assert.ok(results.rollout.every((r) => r.steady.samples > 0 && r.rollout.samples > 0));
  assert.match(log, /rolling restart of 2 at 200\/s, steady p50\/p99\/max/);
  assert.match(log, /1 replica \/ ceiling/);
  assert.match(log, /getGroupsSummary on the 30000-event table, p50\/p95/);
});
