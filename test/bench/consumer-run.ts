import { readFileSync } from 'node:fs';
import type { Admin } from 'kafkajs';
import { startCli, type CliProcess } from '../../deploy/local/cli-process.js';
import { findFreePort } from '../../deploy/local/system/free-port.js';

/** One or more `todo-history consume` processes in the same group, as replicas would be. */
export class ConsumerReplicas {
  private constructor(private readonly replicas: CliProcess[]) {}

  static async start(count: number, env: Record<string, string>): Promise<ConsumerReplicas> {
    const replicas: CliProcess[] = [];
    for (let i = 0; i < count; i += 1) replicas.push(startCli(['consume'], { ...env, HTTP_PORT: String(await findFreePort()) }));
    return new ConsumerReplicas(replicas);
  }

  /** Peak resident set size of each replica so far (VmHWM), in bytes. */
  peakRssBytes(): number[] {
    return this.replicas.map((replica) => {
      const status = readFileSync(`/proc/${replica.child.pid}/status`, 'utf8');
      return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    });
  }

  output(): string {
    return this.replicas.map((r) => r.output()).join('\n');
  }

  async stop(): Promise<void> {
    for (const replica of this.replicas) replica.child.kill('SIGTERM');
    await Promise.all(this.replicas.map((replica) => replica.exited));
  }
}

/** Resolves when the group's committed offsets reach `total` messages over the topic, polling every 50 ms. */
export async function waitForCommitted(admin: Admin, groupId: string, topic: string, total: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const sum = (committed?.partitions ?? []).reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
    if (sum >= total) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`group ${groupId} did not commit ${total} messages within ${timeoutMs} ms`);
}
