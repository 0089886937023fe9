import type { Admin } from 'kafkajs';
import type { Logger } from 'pino';
import { failureFields } from '../process/describe-error.js';

export interface LagPollerOptions {
  admin: Admin;
  topic: string;
  groupId: string;
  intervalMs: number;
  /** Partitions this member owns right now. */
  assignedPartitions(): readonly number[];
  onLag(partition: number, lag: number): void;
  logger: Logger;
}

/** Unread messages of each assigned partition: end offset minus committed offset (or minus the start). */
async function measureLag({ admin, topic, groupId, assignedPartitions, onLag }: LagPollerOptions): Promise<void> {
  const assigned = assignedPartitions();
  if (assigned.length === 0) return;
  const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  const committedByPartition = new Map((committed?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
  for (const { partition, high, low } of ends) {
    if (!assigned.includes(partition)) continue;
    const position = committedByPartition.get(partition) ?? -1n;
    onLag(partition, Number(BigInt(high) - (position < 0n ? BigInt(low) : position)));
  }
}

/**
 * Measures lag from the broker's view rather than from fetched batches, so a consumer that stopped
 * fetching still sees its lag grow. Returns a function that stops the polling.
 */
export function startLagPoller(options: LagPollerOptions): () => void {
  let running = true;
  let timer: NodeJS.Timeout | undefined;
  const poll = async (): Promise<void> => {
    try {
      await measureLag(options);
    } catch (error) {
      options.logger.warn(failureFields(error), 'could not measure consumer lag');
    }
    if (running) timer = setTimeout(() => void poll(), options.intervalMs);
  };
  void poll();
  return () => {
    running = false;
    clearTimeout(timer);
  };
}
