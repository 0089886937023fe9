import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import { benchEvents } from '../bench/bench-events.js';

const bench = fileURLToPath(new URL('../bench/run-bench.js', import.meta.url));
const events = 20_000;

interface BenchResults {
  throughput: Record<string, { rows: number; eventsPerSecond: number }>;
  writeRowsPerSecond: Record<string, number>;
  latencyMs: { samples: number };
}

it('the benchmark runs end to end at small scale and every replica count stores exactly the valid events', async () => {
  const output = path.join(mkdtempSync(path.join(tmpdir(), 'todo-history-bench-')), 'results.json');
  const child = spawn(
    process.execPath,
    [bench, '--events', String(events), '--strategy-rows', '5000', '--floor-rows', '500', '--latency-rate', '500', '--latency-seconds', '3', '--replicas', '1,3', '--output', output],
    { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, log.slice(-3_000));

  const valid = [...benchEvents(events)].filter((e) => e.valid).length;
  const results = JSON.parse(readFileSync(output, 'utf8')) as BenchResults;
  assert.deepEqual(Object.keys(results.throughput), ['1', '3']);
  for (const run of Object.values(results.throughput)) assert.equal(run.rows, valid);
  assert.deepEqual(Object.keys(results.writeRowsPerSecond).sort(), ['copy', 'copyBinary', 'rowByRow', 'unnest', 'values']);
  assert.equal(results.latencyMs.samples, [...benchEvents(1_500, 7)].filter((e) => e.valid).length);
  assert.match(log, /1 replica \/ ceiling/);
});
