import type { LogMismatch, OffsetRange } from './log-mismatch.js';

/** Where a partition's history continues, as this member knows it. */
export interface PartitionPosition {
  /** The stored next offset; null when the partition has none yet (its committed Kafka offset is trusted). */
  offset: string | null;
  /** The Kafka cluster the stored offset was read from; null when none was recorded (an older build stored it). */
  clusterId: string | null;
  /**
   * Where this member knows the fetch to continue: where it stored up to or sought to. Null for a position
   * just read from the table: the group's committed offset, where kafkajs fetches from, may differ from it.
   */
  fetchFrom: string | null;
}

/** The records a fetch brought: `[first, next)`, control records included, and what it said of its log. */
export interface FetchedRange {
  first: string;
  next: string;
  /** The partition's high watermark in the fetch response. */
  highWatermark: string;
  /** The cluster the consumer reads. */
  clusterId: string;
}

/** A partition's log as the broker lists it now: its first offset still kept, and the next to be written. */
export interface LogExtent {
  start: string;
  end: string;
}

/** What to do with a fetched batch, given the partition's position. */
export type BatchPlan =
  /**
   * Store the batch's messages from offset `storeFrom` on, advancing the stored offset from `from`;
   * `lost` are records between the two that retention deleted before they were read.
   */
  | { kind: 'store'; from: string | null; storeFrom: string | null; lost: OffsetRange | null }
  /** The table holds the whole batch already: skip to `offset` (seeking when it lies beyond the batch). */
  | { kind: 'skip'; offset: string; seek: boolean }
  /** Fetch again from `offset`: where the table stops, or where the log starts now. */
  | { kind: 'reread'; offset: string }
  /** The stored offset cannot belong to the log the batch came from: store nothing, skip nothing. */
  | { kind: 'blocked'; mismatch: LogMismatch };

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

/**
 * Plans a fetched batch against the partition's stored position; `readExtent` is asked only for the rare
 * batches whose plan depends on the log's extent. The table is the truth: records it
 * holds are skipped, and records it lacks are read again, once the fetch was sought there. A batch that
 * still starts past the stored offset after that is stored only once the log's extent explains the gap:
 * records below the log's start were deleted by retention (they are counted as lost), the others were
 * never messages (transaction markers, aborted records). A stored offset of another cluster, or past the
 * log's end, belongs to another log (a recreated topic, a moved cluster): the partition is blocked.
 */
export async function planBatch(position: PartitionPosition, fetched: FetchedRange, readExtent: () => Promise<LogExtent>): Promise<BatchPlan> {
  if (position.offset === null) return { kind: 'store', from: null, storeFrom: null, lost: null };
  if (position.clusterId !== null && position.clusterId !== fetched.clusterId) {
    return { kind: 'blocked', mismatch: { code: 'other_cluster', storedClusterId: position.clusterId, clusterId: fetched.clusterId } };
  }
  const stored = BigInt(position.offset);
  const first = BigInt(fetched.first);
  const next = BigInt(fetched.next);
  if (stored >= next) {
    // A fetch's high watermark can trail the log's end for a moment (a new leader), so the broker's list decides.
    if (stored <= BigInt(fetched.highWatermark)) return { kind: 'skip', offset: position.offset, seek: stored > next };
    const extent = await readExtent();
    if (stored > BigInt(extent.end)) return { kind: 'blocked', mismatch: { code: 'past_log_end', storedOffset: position.offset, logEnd: extent.end } };
    return { kind: 'skip', offset: position.offset, seek: stored > next };
  }
  if (stored >= first) return { kind: 'store', from: position.offset, storeFrom: stored > first ? position.offset : null, lost: null };
  if (position.fetchFrom === null) return { kind: 'reread', offset: position.offset };
  const extent = await readExtent();
  const start = BigInt(extent.start);
  if (start <= stored) return { kind: 'store', from: position.offset, storeFrom: null, lost: null };
  if (first > start && BigInt(position.fetchFrom) < start) return { kind: 'reread', offset: extent.start };
  return { kind: 'store', from: position.offset, storeFrom: null, lost: { from: position.offset, to: min(start, first).toString() } };
}

/** What the table, the consumer group and the log say about a newly assigned partition. */
export interface PartitionFacts {
  stored: { offset: string; clusterId: string | null } | undefined;
  /** The group's committed offset; null when it has none. */
  committed: string | null;
  extent: LogExtent;
  clusterId: string;
  /** KAFKA_FROM_BEGINNING: where a partition with no offset anywhere starts. */
  fromBeginning: boolean;
}

/** Where a newly assigned partition starts. */
export type PartitionStart =
  /** Fetch from `offset` and commit it to the group; `lost` are records retention deleted before they were read. */
  | { kind: 'seek'; offset: string; lost: OffsetRange | null }
  /** Fetch where kafkajs does by itself: from the group's committed offset, else from the log's start. */
  | { kind: 'as-kafkajs' }
  | { kind: 'blocked'; mismatch: LogMismatch };

/**
 * Plans where an assigned partition starts: at its stored offset, else at the group's committed offset
 * (the Go consumer's, taken over), else where KAFKA_FROM_BEGINNING says. An offset below the log's start
 * continues at the start, whatever KAFKA_FROM_BEGINNING says; the records between were lost to retention.
 * A stored offset the log cannot hold (another cluster's, or past its end) blocks the partition.
 */
export function planStart(facts: PartitionFacts): PartitionStart {
  const { stored, committed, extent, clusterId } = facts;
  const start = BigInt(extent.start);
  if (stored !== undefined) {
    if (stored.clusterId !== null && stored.clusterId !== clusterId) {
      return { kind: 'blocked', mismatch: { code: 'other_cluster', storedClusterId: stored.clusterId, clusterId } };
    }
    if (BigInt(stored.offset) > BigInt(extent.end)) return { kind: 'blocked', mismatch: { code: 'past_log_end', storedOffset: stored.offset, logEnd: extent.end } };
    // Retention's loss is counted with the first batch stored after it, which advances the stored offset past it.
    return { kind: 'seek', offset: max(BigInt(stored.offset), start).toString(), lost: null };
  }
  if (committed !== null) {
    if (BigInt(committed) < start) return { kind: 'seek', offset: extent.start, lost: { from: committed, to: extent.start } };
    return { kind: 'as-kafkajs' };
  }
  // Committed at once, so that a restart before the first batch does not take a later end and skip what came between.
  return facts.fromBeginning ? { kind: 'as-kafkajs' } : { kind: 'seek', offset: extent.end, lost: null };
}
