/** Where `offsets reset` moves partitions' stored offsets to. */
export type ResetTarget =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'offset'; offset: bigint }
  | { kind: 'time'; time: Date }
  /** The consumer group's committed offsets: adopted after a move to a cluster whose offsets were translated (MirrorMaker 2). */
  | { kind: 'committed' };

/** A partition's extent in the topic: its first offset still kept, and the offset the next record gets. */
export interface PartitionExtent {
  partition: number;
  low: bigint;
  high: bigint;
  /** For a `time` target: the first offset whose record is at that time or later; null when none is. */
  atTime?: bigint | null;
  /** For a `committed` target: the consumer group's committed offset; null when it has none. */
  committed?: bigint | null;
}

/** One partition's move: from its stored offset (null when none), to where the target says. */
export interface OffsetMove {
  partition: number;
  from: string | null;
  to: string;
  /** Records read again (`to` before `from`) or never stored (`to` past `from`); 0 for a new stored offset. */
  reread: string;
  skipped: string;
}

// An offset the topic no longer (or not yet) has would make the consumer read from elsewhere.
function clamp(offset: bigint, extent: PartitionExtent): bigint {
  return offset < extent.low ? extent.low : offset > extent.high ? extent.high : offset;
}

function targetOffset(target: ResetTarget, extent: PartitionExtent): bigint {
  switch (target.kind) {
    case 'earliest':
      return extent.low;
    case 'latest':
      return extent.high;
    case 'offset':
      return clamp(target.offset, extent);
    case 'time':
      return extent.atTime ?? extent.high;
    case 'committed':
      if (extent.committed === undefined || extent.committed === null) throw new Error(`partition ${extent.partition} has no committed offset to adopt`);
      return clamp(extent.committed, extent);
  }
}

/** Each partition's move for `target`, given the partitions' extents and their stored offsets. */
export function planReset(target: ResetTarget, extents: readonly PartitionExtent[], stored: ReadonlyMap<number, string>): OffsetMove[] {
  return extents.map((extent) => {
    const to = targetOffset(target, extent);
    const fromText = stored.get(extent.partition) ?? null;
    const from = fromText === null ? null : BigInt(fromText);
    return {
      partition: extent.partition,
      from: fromText,
      to: to.toString(),
      reread: (from !== null && to < from ? from - to : 0n).toString(),
      skipped: (from !== null && to > from ? to - from : 0n).toString(),
    };
  });
}
