import type { Logger } from 'pino';
import { describeError } from '../process/describe-error.js';
import { planStart, type LogExtent, type PartitionPosition } from './batch-plan.js';
import type { LogMismatch, OffsetRange } from './log-mismatch.js';

/** A partition's stored next offset and the cluster it was read from. */
export interface StoredPosition {
  offset: string;
  clusterId: string | null;
}

/** What PartitionPositions needs from the table and from Kafka. */
export interface PositionSources {
  /** The stored position of each partition that has one. */
  readStored(): Promise<Map<number, StoredPosition>>;
  /** The consumer group's committed offset of each partition that has one. */
  readCommitted(): Promise<Map<number, string>>;
  /** Each partition's log extent, as the broker lists it now. */
  readExtents(): Promise<Map<number, LogExtent>>;
  /** The id of the cluster the brokers belong to. */
  readClusterId(): Promise<string>;
  /** Where the consumer fetches a partition from next. */
  seek(partition: number, offset: string): void;
  /** Commits partitions' offsets to the consumer group. */
  commitToGroup(offsets: readonly { partition: number; offset: string }[]): Promise<void>;
}

/** What the start of an assignment found: partitions that cannot start, and records retention took. */
export interface AssignmentStart {
  blocked: { partition: number; mismatch: LogMismatch }[];
  lost: { partition: number; range: OffsetRange }[];
}

const nothingFound: AssignmentStart = { blocked: [], lost: [] };

/**
 * Where each assigned partition continues: at its offset in the table, read when the partition is
 * assigned (or at its first batch, when the table could not be read then) and kept up to date by the
 * batches this member stores. The consumer is sought there whenever it fetches from elsewhere.
 */
export class PartitionPositions {
  private readonly known = new Map<number, PartitionPosition>();
  private cluster: string | undefined;

  constructor(
    private readonly sources: PositionSources,
    private readonly fromBeginning: boolean,
    private readonly logger: Logger,
  ) {}

  /**
   * A new assignment. A partition this member keeps continues from the position it knows, with no read
   * and no seek: kafkajs fetches it from the group's committed offset, which this member's batches
   * committed, so only where that fetch starts is unknown again (planBatch seeks back a fetch that starts
   * past the stored offset), and the table's offset fence voids a batch should another member have
   * stored the partition meanwhile (a generation this member missed). Each newly assigned partition
   * starts where planStart says: its stored offset, which the group's committed offset may not match
   * (behind it after `offsets reset`, ahead of it after a crash between the two commits), or the
   * group's, or the log's start or end; the group's offsets then follow. Resolves once the seeks are made.
   */
  async startAssigned(partitions: readonly number[]): Promise<AssignmentStart> {
    for (const [partition, position] of [...this.known]) {
      if (partitions.includes(partition)) this.known.set(partition, { ...position, fetchFrom: null });
      else this.known.delete(partition);
    }
    const fresh = partitions.filter((partition) => !this.known.has(partition));
    if (fresh.length === 0) return nothingFound;
    let facts: [Map<number, StoredPosition>, Map<number, string>, Map<number, LogExtent>, string];
    try {
      facts = await Promise.all([this.sources.readStored(), this.sources.readCommitted(), this.sources.readExtents(), this.sources.readClusterId()]);
    } catch (error) {
      this.logger.warn({ reason: describeError(error) }, 'cannot read where the partitions stand now; each partition reads its stored offset with its first batch');
      return nothingFound;
    }
    const [stored, committed, extents, clusterId] = facts;
    this.cluster = clusterId;
    const found: AssignmentStart = { blocked: [], lost: [] };
    const starts: { partition: number; offset: string }[] = [];
    for (const partition of fresh) {
      const extent = extents.get(partition);
      if (extent === undefined) continue;
      const storedPosition = stored.get(partition);
      const start = planStart({ stored: storedPosition, committed: committed.get(partition) ?? null, extent, clusterId, fromBeginning: this.fromBeginning });
      if (start.kind === 'blocked') {
        found.blocked.push({ partition, mismatch: start.mismatch });
      } else if (start.kind === 'seek') {
        this.known.set(partition, { offset: storedPosition?.offset ?? null, clusterId: storedPosition?.clusterId ?? null, fetchFrom: start.offset });
        this.sources.seek(partition, start.offset);
        starts.push({ partition, offset: start.offset });
        if (start.lost !== null) found.lost.push({ partition, range: start.lost });
      }
    }
    if (starts.length > 0) {
      this.logger.info({ partitions: starts }, 'partitions start at their stored offsets, or where the log starts or ends');
      // Not awaited: batches need the seeks only, and a broker slow to answer must not hold them.
      this.sources.commitToGroup(starts).catch((error: unknown) => {
        this.logger.warn({ reason: describeError(error) }, 'committing the start offsets to the group failed; the next batch of each partition commits them');
      });
    }
    return found;
  }

  /** The partition's position, read from the table unless known. */
  async of(partition: number): Promise<PartitionPosition> {
    const known = this.known.get(partition);
    if (known !== undefined) return known;
    const stored = (await this.sources.readStored()).get(partition);
    // With no stored offset there is nothing to compare the fetch with: the committed Kafka offset stands.
    const position = { offset: stored?.offset ?? null, clusterId: stored?.clusterId ?? null, fetchFrom: null };
    this.known.set(partition, position);
    return position;
  }

  /** The cluster id to check batches against: the one read at the assignment, else read now. */
  async currentClusterId(): Promise<string> {
    this.cluster ??= await this.sources.readClusterId();
    return this.cluster;
  }

  /** This member stored up to `offset` reading `clusterId`: the fetch continues from it. */
  confirm(partition: number, offset: string, clusterId: string): void {
    this.known.set(partition, { offset, clusterId, fetchFrom: offset });
  }

  /** The table stops before the fetched records (a restored database, `offsets reset`), or the log starts after it: fetch from `offset`. */
  rereadFrom(partition: number, offset: string, fetchedFrom: string): void {
    this.logger.warn({ partition, fromOffset: offset, fetchedFrom }, 'the fetched records start past the stored offset; reading the partition again from the stored offset or the log start');
    this.seekTo(partition, offset);
  }

  /** Skips to `offset`, past records the table holds already. */
  skipTo(partition: number, offset: string): void {
    this.logger.info({ partition, storedOffset: offset }, 'records already stored; continuing from the stored offset');
    this.seekTo(partition, offset);
  }

  /** Forgets the partition's position: its next batch reads it from the table again. */
  forget(partition: number): void {
    this.known.delete(partition);
  }

  /**
   * Another writer moved the partition's offset: reads it again and fetches from there. When the table
   * cannot be read now, the batch is fetched again and its first step reads it.
   */
  async moved(partition: number): Promise<void> {
    this.known.delete(partition);
    const stored = await this.of(partition).then((position) => position.offset, () => null);
    if (stored !== null) this.seekTo(partition, stored);
  }

  private seekTo(partition: number, offset: string): void {
    const known = this.known.get(partition);
    this.known.set(partition, { offset: known?.offset ?? null, clusterId: known?.clusterId ?? null, fetchFrom: offset });
    this.sources.seek(partition, offset);
  }
}
