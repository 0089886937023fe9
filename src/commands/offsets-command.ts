import type { Admin } from 'kafkajs';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/config-schema.js';
import { createDatabase } from '../db/create-database.js';
import type { Database } from '../db/database.js';
import { assertSchemaVersion } from '../db/schema-version.js';
import { readStoredNextOffsets, readStoredOffsets, writeStoredOffsets, type StoredOffset } from '../db/stored-offsets.js';
import { createKafka } from '../kafka/create-kafka.js';
import { readClusterId, readCommittedOffsets, readPartitionExtents } from '../kafka/partition-extents.js';
import { planReset, type PartitionExtent, type ResetTarget } from '../offsets/reset-target.js';
import { failureFields } from '../process/describe-error.js';
import { exitCodes } from './exit-codes.js';

/** `offsets show`, or `offsets reset` to a target, for some partitions (all when none are named). */
export type OffsetsRequest =
  | { action: 'show' }
  | { action: 'reset'; target: ResetTarget; partitions: readonly number[]; dryRun: boolean };

/** Runs `work` with a database and a connected Kafka admin, on a schema this build runs on; closes both. */
async function withClients<T>(config: AppConfig, logger: Logger, work: (db: Kysely<Database>, admin: Admin) => Promise<T>): Promise<T> {
  const db = createDatabase(config.database, logger, { applicationName: 'todo-history-offsets' });
  const admin = createKafka(config.kafka, logger).admin();
  try {
    await admin.connect();
    await assertSchemaVersion(db);
    return await work(db, admin);
  } finally {
    await admin.disconnect();
    await db.destroy();
  }
}

/**
 * What a stored offset means for the log it would be read in: blocked (another cluster's, or past the
 * log's end: the consumer stops the partition), below the log's start (it continues at the start, and the
 * records between are lost to retention), or nothing (null).
 */
function storedOffsetProblem(stored: StoredOffset | undefined, { low, high }: PartitionExtent, clusterId: string): string | null {
  if (stored === undefined) return null;
  if (stored.clusterId !== null && stored.clusterId !== clusterId) return 'other_cluster';
  const offset = BigInt(stored.nextOffset);
  if (offset > high) return 'past_log_end';
  return offset < low ? 'below_log_start' : null;
}

/** Stored, committed and log offsets per partition; lag counts from the stored offset, which is the truth. */
function show(config: AppConfig, logger: Logger): Promise<unknown> {
  const { topic, groupId } = config.kafka;
  return withClients(config, logger, async (db, admin) => {
    const [extents, stored, committed, clusterId] = await Promise.all([
      readPartitionExtents(admin, topic),
      readStoredOffsets(db, topic),
      readCommittedOffsets(admin, groupId, topic),
      readClusterId(admin),
    ]);
    return {
      topic,
      groupId,
      clusterId,
      partitions: extents.map((extent) => {
        const { partition, low, high } = extent;
        const storedOffset = stored.get(partition);
        const groupOffset = committed.get(partition) ?? '-1';
        return {
          partition,
          storedOffset: storedOffset?.nextOffset ?? null,
          storedAt: storedOffset?.updatedAt.toISOString() ?? null,
          storedClusterId: storedOffset?.clusterId ?? null,
          committedOffset: groupOffset === '-1' ? null : groupOffset,
          logStartOffset: low.toString(),
          logEndOffset: high.toString(),
          lag: storedOffset === undefined ? null : (high - BigInt(storedOffset.nextOffset)).toString(),
          problem: storedOffsetProblem(storedOffset, extent, clusterId),
        };
      }),
    };
  });
}

/**
 * Moves the stored offsets, which decide where each partition continues. Consumers may run: the first
 * batch each stores after the move finds its partition's offset changed, is dropped, and the partition
 * is read from the new offset. Reading again stores nothing twice: the unique index on the Kafka
 * coordinates skips the rows the table holds. The moved offsets are recorded as the current cluster's,
 * which is how an operator lets the consumer read a cluster its offsets were not stored in.
 */
function reset(request: Extract<OffsetsRequest, { action: 'reset' }>, config: AppConfig, logger: Logger): Promise<unknown> {
  const { topic, groupId } = config.kafka;
  return withClients(config, logger, async (db, admin) => {
    const time = request.target.kind === 'time' ? request.target.time : undefined;
    const extents = await withCommitted(request.target, await readPartitionExtents(admin, topic, time), () => readCommittedOffsets(admin, groupId, topic));
    const unknown = request.partitions.filter((partition) => !extents.some((extent) => extent.partition === partition));
    if (unknown.length > 0) throw new UnknownPartitionError(topic, unknown, extents.length);
    const chosen = request.partitions.length === 0 ? extents : extents.filter((extent) => request.partitions.includes(extent.partition));
    const uncommitted = chosen.filter((extent) => extent.committed === null).map((extent) => extent.partition);
    if (uncommitted.length > 0) throw new NoCommittedOffsetError(groupId, uncommitted);
    const clusterId = await readClusterId(admin);
    const moves = planReset(request.target, chosen, await readStoredNextOffsets(db, topic));
    if (!request.dryRun) await writeStoredOffsets(db, topic, new Map(moves.map((move) => [move.partition, move.to])), clusterId);
    return { topic, clusterId, dryRun: request.dryRun, partitions: moves };
  });
}

/** The extents with the group's committed offsets, which only the `committed` target reads. */
async function withCommitted(target: ResetTarget, extents: PartitionExtent[], readCommitted: () => Promise<Map<number, string>>): Promise<PartitionExtent[]> {
  if (target.kind !== 'committed') return extents;
  const committed = await readCommitted();
  return extents.map((extent) => {
    const offset = committed.get(extent.partition) ?? '-1';
    return { ...extent, committed: offset === '-1' ? null : BigInt(offset) };
  });
}

/** `--to committed` for partitions the consumer group has no offset for. */
export class NoCommittedOffsetError extends Error {
  readonly code = 'no_committed_offset';

  constructor(groupId: string, partitions: readonly number[]) {
    super(`consumer group ${groupId} has no committed offset for partition ${partitions.join(', ')}: name the other partitions with --partition, or choose --to earliest or a time for these`);
    this.name = 'NoCommittedOffsetError';
  }
}

/** `--partition` names a partition the topic does not have. */
export class UnknownPartitionError extends Error {
  readonly code = 'unknown_partition';

  constructor(topic: string, partitions: readonly number[], count: number) {
    super(`${topic} has partitions 0 to ${count - 1}; there is no partition ${partitions.join(', ')}`);
    this.name = 'UnknownPartitionError';
  }
}

/** Prints the partitions' offsets, or moves them, as a JSON report on stdout. */
export async function offsetsCommand(request: OffsetsRequest, config: AppConfig, logger: Logger): Promise<number> {
  try {
    const report = request.action === 'show' ? await show(config, logger) : await reset(request, config, logger);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return exitCodes.ok;
  } catch (error) {
    logger.error(failureFields(error), `offsets ${request.action} failed`);
    return exitCodes.failure;
  }
}
