import type { Admin } from 'kafkajs';
import type { LogExtent } from '../consumer/batch-plan.js';
import type { PartitionExtent } from '../offsets/reset-target.js';
import { assertTopicsExist } from './assert-topics-exist.js';

/** Each partition's low and high offsets, and when `time` is given the first offset at or after it. */
export async function readPartitionExtents(admin: Admin, topic: string, time?: Date): Promise<PartitionExtent[]> {
  await assertTopicsExist(admin, [topic]);
  const offsets = await admin.fetchTopicOffsets(topic);
  // kafkajs gives -1 for a partition without a record at or after the time.
  const atTime = time === undefined ? undefined : new Map((await admin.fetchTopicOffsetsByTimestamp(topic, time.getTime())).map(({ partition, offset }) => [partition, offset === '-1' ? null : BigInt(offset)]));
  return offsets
    .map(({ partition, low, high }) => ({ partition, low: BigInt(low), high: BigInt(high), ...(atTime === undefined ? {} : { atTime: atTime.get(partition) ?? null }) }))
    .sort((a, b) => a.partition - b.partition);
}

/** The consumer group's committed offset of each partition of `topic`; -1 stands for none. */
export async function readCommittedOffsets(admin: Admin, groupId: string, topic: string): Promise<Map<number, string>> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Map((committed?.partitions ?? []).map(({ partition, offset }) => [partition, offset]));
}

/** Each partition's log extent as the broker lists it now (`read_committed`: the end is the last stable offset). */
export async function readLogExtents(admin: Admin, topic: string): Promise<Map<number, LogExtent>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return new Map(offsets.map(({ partition, low, high }) => [partition, { start: low, end: high }]));
}

/** The id of the Kafka cluster the admin's brokers belong to. */
export async function readClusterId(admin: Admin): Promise<string> {
  return (await admin.describeCluster()).clusterId;
}
