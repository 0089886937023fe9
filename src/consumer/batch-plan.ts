/** Where a partition's history continues, as this member knows it. */
export interface PartitionPosition {
  /** The stored next offset; null when the partition has none yet (its committed Kafka offset is trusted). */
  offset: string | null;
  /**
   * True once the fetch position is known to follow `offset`: this member stored there, or sought there.
   * A position just read from the table is not: the group's committed offset may be ahead of it.
   */
  confirmed: boolean;
}

/** What to do with a fetched batch, given the partition's position. */
export type BatchPlan =
  /** Store the batch's messages from offset `storeFrom` on, advancing the stored offset from `from`. */
  | { kind: 'store'; from: string | null; storeFrom: string | null }
  /** The table holds the whole batch already: skip to `offset` (seeking when it lies beyond the batch). */
  | { kind: 'skip'; offset: string; seek: boolean }
  /** The table stops before the batch: fetch again from `offset`, where it stops. */
  | { kind: 'reread'; offset: string };

/**
 * Plans a batch of `[firstOffset, nextOffset)` against the partition's stored position. The table is the
 * truth: records it holds are skipped, and records it lacks are read again, once the fetch was sought
 * there. A batch that still starts past the stored offset after that is accepted: the records between
 * are gone from the topic (retention) or were never messages (transaction markers).
 */
export function planBatch(position: PartitionPosition, firstOffset: string, nextOffset: string): BatchPlan {
  if (position.offset === null) return { kind: 'store', from: null, storeFrom: null };
  const stored = BigInt(position.offset);
  if (stored >= BigInt(nextOffset)) return { kind: 'skip', offset: position.offset, seek: stored > BigInt(nextOffset) };
  if (stored >= BigInt(firstOffset)) return { kind: 'store', from: position.offset, storeFrom: stored > BigInt(firstOffset) ? position.offset : null };
  if (!position.confirmed) return { kind: 'reread', offset: position.offset };
  return { kind: 'store', from: position.offset, storeFrom: null };
}
