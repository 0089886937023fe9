import { request } from 'node:http';
import { LOOPBACK_HOST } from '../../deploy/local/system/free-port.js';

/** One reading of a consumer's memory, in bytes, from the process metrics on its `/metrics`. */
export interface MemorySample {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  /** Memory outside V8's heap held by JavaScript objects: Buffers (fetch responses, messages) and the like. */
  external: number;
  /** The part of `external` held by ArrayBuffers and Buffers. */
  arrayBuffers: number;
  /** V8's young generation (new space) in use. */
  newSpaceUsed: number;
  oldSpaceUsed: number;
}

const metricOf: Record<keyof MemorySample, RegExp> = {
  rss: /^process_resident_memory_bytes (\S+)$/m,
  heapTotal: /^nodejs_heap_size_total_bytes (\S+)$/m,
  heapUsed: /^nodejs_heap_size_used_bytes (\S+)$/m,
  external: /^nodejs_external_memory_bytes (\S+)$/m,
  arrayBuffers: /^nodejs_array_buffers_bytes (\S+)$/m,
  newSpaceUsed: /^nodejs_heap_space_size_used_bytes\{space="new"\} (\S+)$/m,
  oldSpaceUsed: /^nodejs_heap_space_size_used_bytes\{space="old"\} (\S+)$/m,
};

function parseSample(text: string): MemorySample {
  const entries = Object.entries(metricOf).map(([name, pattern]) => [name, Number(pattern.exec(text)?.[1] ?? Number.NaN)]);
  return Object.fromEntries(entries) as unknown as MemorySample;
}

/** Reads the consumer's `/metrics` on the loopback port it serves. */
export function readMemorySample(port: number): Promise<MemorySample> {
  return new Promise((resolve, reject) => {
    const call = request({ host: LOOPBACK_HOST, port, path: '/metrics', timeout: 1_000 }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve(parseSample(text)));
      response.on('error', reject);
    });
    call.on('timeout', () => call.destroy(new Error('metrics request timed out')));
    call.on('error', reject);
    call.end();
  });
}

/** The highest value each figure reached over `samples`, in MiB; undefined when there are none. */
export function peakMemory(samples: readonly MemorySample[]): Record<keyof MemorySample, number> | undefined {
  if (samples.length === 0) return undefined;
  const names = Object.keys(metricOf) as (keyof MemorySample)[];
  return Object.fromEntries(names.map((name) => [name, Math.max(...samples.map((s) => s[name])) / 1_048_576])) as Record<keyof MemorySample, number>;
}
