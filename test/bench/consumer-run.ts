import { readFileSync } from 'node:fs';
import kafkajs, { type Admin } from 'kafkajs';
import { startCli, type CliProcess } from '../../deploy/local/cli-process.js';
import { findFreePort } from '../../deploy/local/system/free-port.js';
import { processCpuSeconds } from './process-cpu.js';
import { peakMemory, readMemorySample, type MemorySample } from './memory-sample.js';

// Not among the names Node detects as named exports of kafkajs' CommonJS module.
const { KafkaJSProtocolError } = kafkajs;

interface Replica {
  process: CliProcess;
  httpPort: number;
  samples: MemorySample[];
}

/** One or more `todo-history consume` processes in the same group, as replicas would be, run as the image runs them. */
export class ConsumerReplicas {
  private sampler: NodeJS.Timeout | undefined;

  private constructor(
    private readonly replicas: Replica[],
    private readonly env: Record<string, string>,
  ) {}

  static async start(count: number, env: Record<string, string>): Promise<ConsumerReplicas> {
    const replicas = new ConsumerReplicas([], env);
    for (let i = 0; i < count; i += 1) await replicas.add();
    return replicas;
  }

  /** Starts one more replica, as a Deployment adds a pod. */
  async add(): Promise<void> {
    const httpPort = await findFreePort();
    this.replicas.push({ process: startCli(['consume'], { ...this.env, HTTP_PORT: String(httpPort) }, { sourceMaps: false }), httpPort, samples: [] });
  }

  /** Sends SIGTERM to the `count` oldest replicas still running, as a Deployment ends a pod; resolves with their exits. */
  retireOldest(count: number): Promise<(number | null)[]> {
    const running = this.replicas.filter(({ process: { child } }) => !child.killed && child.exitCode === null);
    const retired = running.slice(0, count);
    for (const replica of retired) replica.process.child.kill('SIGTERM');
    return Promise.all(retired.map((replica) => replica.process.exited));
  }

  /**
   * Reads each replica's memory breakdown from its own `/metrics` every `intervalMs` until `stop()`; a
   * replica that does not answer yet (still starting) is skipped for that round.
   */
  sampleMemory(intervalMs: number): void {
    this.sampler = setInterval(() => {
      for (const replica of this.replicas) {
        readMemorySample(replica.httpPort).then(
          (sample) => replica.samples.push(sample),
          () => undefined,
        );
      }
    }, intervalMs);
  }

  /** One more sample of every replica now, so that a run shorter than the interval has one too. */
  async sampleMemoryNow(): Promise<void> {
    await Promise.all(this.replicas.map(async (replica) => replica.samples.push(await readMemorySample(replica.httpPort))));
  }

  /** Each replica's highest value of every memory figure sampled so far, in MiB. */
  peakMemoryMb(): (Record<keyof MemorySample, number> | undefined)[] {
    return this.replicas.map((replica) => peakMemory(replica.samples));
  }

  /** Peak resident set size of each replica so far (VmHWM), in bytes. */
  peakRssBytes(): number[] {
    return this.replicas.map((replica) => {
      const status = readFileSync(`/proc/${replica.process.child.pid}/status`, 'utf8');
      return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    });
  }

  /** CPU seconds (user + system) each replica has used so far; read before stop(). */
  cpuSeconds(): number[] {
    return this.replicas.map((replica) => processCpuSeconds(replica.process.child.pid ?? 0));
  }

  output(): string {
    return this.replicas.map((r) => r.process.output()).join('\n');
  }

  async stop(): Promise<void> {
    clearInterval(this.sampler);
    for (const replica of this.replicas) replica.process.child.kill('SIGTERM');
    await Promise.all(this.replicas.map((replica) => replica.process.exited));
  }
}

/** The messages the group has committed over the topic: the sum of its partitions' committed offsets. */
export async function committedMessages(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return (committed?.partitions ?? []).reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
}

/**
 * Resolves when the group's committed offsets reach `total` messages over the topic, polling every 50 ms;
 * `onProgress` sees every committed sum read on the way.
 */
export async function waitForCommitted(
  admin: Admin,
  groupId: string,
  topic: string,
  total: number,
  timeoutMs: number,
  onProgress: (committed: number) => void = () => undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // A busy broker can answer a retriable error (NOT_COORDINATOR_FOR_GROUP while the group's coordinator loads): poll again.
    const sum = await committedMessages(admin, groupId, topic).catch((error: unknown) => {
      if (error instanceof KafkaJSProtocolError && error.retriable) return undefined;
      throw error;
    });
    if (sum !== undefined) {
      onProgress(sum);
      if (sum >= total) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`group ${groupId} did not commit ${total} messages within ${timeoutMs} ms`);
}
