import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cliNodeOptions } from '../../deploy/local/cli-process.js';
import { processCpuSeconds } from './process-cpu.js';

const floorProgram = fileURLToPath(new URL('./fetch-parse-floor.js', import.meta.url));

export interface FloorRun {
  eventsPerSecond: number;
  seconds: number;
  /** CPU seconds (user + system) from the end of the first batch to the last value parsed, and the events parsed meanwhile. */
  cpuSeconds: number;
  cpuEvents: number;
  peakRssMb: number;
}

/**
 * Runs the fetch-and-parse floor (fetch-parse-floor.ts) over the `count` events of the topic `env`
 * names, with the consumer's environment and Node options, from process start to its last value parsed.
 */
export async function runFloor(env: Record<string, string>, count: number, timeoutMs: number): Promise<FloorRun> {
  const started = performance.now();
  const child = spawn(process.execPath, [...cliNodeOptions, floorProgram], { env: { PATH: process.env.PATH ?? '', ...env, FLOOR_EVENTS: String(count) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let first: { parsed: number; cpuSeconds: number } | undefined;
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the floor did not parse ${count} events within ${timeoutMs} ms: ${output.slice(-2_000)}`)), timeoutMs);
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const firstBatch = /^first batch (\d+)$/m.exec(output);
        if (first === undefined && firstBatch !== null && Number(firstBatch[1]) <= count / 2) first = { parsed: Number(firstBatch[1]), cpuSeconds: processCpuSeconds(child.pid ?? 0) };
        if (output.includes('parsed ')) {
          clearTimeout(timer);
          resolve();
        }
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`the floor exited with ${code} before parsing ${count} events: ${output.slice(-2_000)}`));
      });
    });
    const seconds = (performance.now() - started) / 1000;
    const cpuSeconds = processCpuSeconds(child.pid ?? 0) - (first?.cpuSeconds ?? 0);
    const cpuEvents = count - (first?.parsed ?? 0);
    const peakRssKb = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
    return { eventsPerSecond: count / seconds, seconds, cpuSeconds, cpuEvents, peakRssMb: peakRssKb / 1024 };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}
