import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { assertTopicsExist } from './assert-topics-exist.js';

/** The dead-letter topic could not be read to its end in time; nothing was changed by the read itself. */
export class DeadLetterScanTimeoutError extends Error {
  readonly code = 'dlq_scan_timeout';

  constructor(topic: string, timeoutMs: number, remaining: readonly number[]) {
    super(`did not reach the end of ${topic} within ${timeoutMs} ms (partitions ${remaining.join(', ')} unfinished); raise --timeout-ms`);
    this.name = 'DeadLetterScanTimeoutError';
  }
}

/** Calls `onBatch` with every message of a partition below that partition's end offset at the start. */
export type DeadLetterBatchHandler = (partition: number, messages: readonly KafkaMessage[]) => Promise<void>;

/**
 * Reads `topic` from its first to its last message as of the call, once, and returns how many messages it
 * read. kafkajs reads only as a group member, so it joins a group of its own that commits nothing and is
 * deleted afterwards; the consumer's group and its offsets are never touched. Letters that arrive
 * meanwhile are left for the next run.
 */
export async function scanDeadLetterTopic(kafka: Kafka, topic: string, onBatch: DeadLetterBatchHandler, timeoutMs: number): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await assertTopicsExist(admin, [topic]);
    const ends = new Map<number, bigint>();
    for (const { partition, offset, low } of await admin.fetchTopicOffsets(topic)) if (BigInt(offset) > BigInt(low)) ends.set(partition, BigInt(offset));
    if (ends.size === 0) return 0;
    const groupId = `todo-history-dlq-${randomUUID()}`;
    try {
      return await readToEnds(kafka, topic, groupId, ends, onBatch, timeoutMs);
    } finally {
      await admin.deleteGroups([groupId]).catch(() => undefined);
    }
  } finally {
    await admin.disconnect();
  }
}

async function readToEnds(kafka: Kafka, topic: string, groupId: string, ends: Map<number, bigint>, onBatch: DeadLetterBatchHandler, timeoutMs: number): Promise<number> {
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  const remaining = new Set(ends.keys());
  let read = 0;
  let settled = false;
  let settle: (error?: Error) => void = () => undefined;
  const finished = new Promise<void>((resolve, reject) => {
    settle = (error) => (error === undefined ? resolve() : reject(error));
  });
  const finish = (error?: Error): void => {
    if (settled) return;
    settled = true;
    settle(error);
  };
  const timer = setTimeout(() => finish(new DeadLetterScanTimeoutError(topic, timeoutMs, [...remaining].sort((a, b) => a - b))), timeoutMs);
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const end = ends.get(batch.partition);
        if (settled || end === undefined || !remaining.has(batch.partition)) return;
        const messages = batch.messages.filter((message) => BigInt(message.offset) < end);
        try {
          if (messages.length > 0) await onBatch(batch.partition, messages);
        } catch (error) {
          finish(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        read += messages.length;
        // lastOffset() counts control records too, so a partition ending in a commit marker still ends.
        if (BigInt(batch.lastOffset()) + 1n >= end) remaining.delete(batch.partition);
        if (remaining.size === 0) finish();
      },
    });
    await finished;
    return read;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
}
