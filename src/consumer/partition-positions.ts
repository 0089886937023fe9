import type { Logger } from 'pino';
import { describeError } from '../process/describe-error.js';
import type { PartitionPosition } from './batch-plan.js';

/** What PartitionPositions needs from the table and from the Kafka consumer. */
export interface PositionSources {
  /** The stored next offset of each partition that has one. */
  readStored(): Promise<Map<number, string>>;
  /** Where the consumer fetches a partition from next. */
  seek(partition: number, offset: string): void;
  /** Commits partitions' offsets to the consumer group. */
  commitToGroup(offsets: readonly { partition: number; offset: string }[]): Promise<void>;
}

/**
 * Where each assigned partition continues: at its offset in the table, read when the partition is
 * assigned (or at its first batch, when the table could not be read then) and kept up to date by the
 * batches this member stores. The consumer is sought there whenever it fetches from elsewhere.
 */
export class PartitionPositions {
  private readonly known = new Map<number, PartitionPosition>();

  constructor(
    private readonly sources: PositionSources,
    private readonly logger: Logger,
  ) {}

  /**
   * A new assignment: forgets what may be stale, and starts each partition at its stored offset, which
   * the group's committed offset may not match (behind it after `offsets reset`, ahead of it after a
   * crash between the two commits); the group's offsets then follow. Resolves once the seeks are made.
   */
  async startAssigned(partitions: readonly number[]): Promise<void> {
    this.known.clear();
    let stored: Map<number, string>;
    try {
      stored = await this.sources.readStored();
    } catch (error) {
      this.logger.warn({ reason: describeError(error) }, 'cannot read the stored offsets now; each partition reads its own with its first batch');
      return;
    }
    const starts = partitions.flatMap((partition) => {
      const offset = stored.get(partition);
      return offset === undefined ? [] : [{ partition, offset }];
    });
    if (starts.length === 0) return;
    for (const { partition, offset } of starts) this.seekTo(partition, offset);
    this.logger.info({ partitions: starts }, 'partitions start at their stored offsets');
    // Not awaited: batches need the seeks only, and a broker slow to answer must not hold them.
    this.sources.commitToGroup(starts).catch((error: unknown) => {
      this.logger.warn({ reason: describeError(error) }, 'committing the stored offsets to the group failed; the next batch of each partition commits them');
    });
  }

  /** The partition's position, read from the table unless known. */
  async of(partition: number): Promise<PartitionPosition> {
    const known = this.known.get(partition);
    if (known !== undefined) return known;
    const offset = (await this.sources.readStored()).get(partition) ?? null;
    // With no stored offset there is nothing to compare the fetch with: the committed Kafka offset stands.
    const position = { offset, confirmed: offset === null };
    this.known.set(partition, position);
    return position;
  }

  /** This member stored up to `offset`, or found the table there: the fetch continues from it. */
  confirm(partition: number, offset: string): void {
    this.known.set(partition, { offset, confirmed: true });
  }

  /** The table stops before the fetched records (a restored database, `offsets reset`): fetch from where it stops. */
  rereadFrom(partition: number, offset: string, fetchedFrom: string): void {
    this.logger.warn({ partition, storedOffset: offset, fetchedFrom }, 'the table stops before the fetched records; reading the partition again from its stored offset');
    this.seekTo(partition, offset);
  }

  /** Skips to `offset`, past records the table holds already. */
  skipTo(partition: number, offset: string): void {
    this.logger.info({ partition, storedOffset: offset }, 'records already stored; continuing from the stored offset');
    this.seekTo(partition, offset);
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
    this.confirm(partition, offset);
    this.sources.seek(partition, offset);
  }
}
