import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import fc from 'fast-check';

/** A fetched record as kafkajs decodes it, with its record batch's context: one record per batch here. */
interface FetchedRecord {
  offset: string;
  key: Buffer | null;
  isControlRecord: boolean;
  batchContext: { firstOffset: string; lastOffsetDelta: number; producerId: string; inTransaction: boolean };
}

interface AbortedTransaction {
  producerId: string;
  firstOffset: string;
}

type FilterAbortedMessages = (input: { messages: FetchedRecord[]; abortedTransactions: AbortedTransaction[] }) => FetchedRecord[];

// The patched kafkajs module (patches/kafkajs+2.2.4.patch) that the consumer's fetches go through.
const filterAbortedMessages = createRequire(import.meta.url)('kafkajs/src/consumer/filterAbortedMessages.js') as FilterAbortedMessages;

const ZERO_KEY = Buffer.alloc(4);
const PRODUCERS = 3;
const NON_TRANSACTIONAL_PRODUCER = '-1';

/** What producers do, in log order; a transaction starts with its producer's first record after the last marker. */
type Step = { kind: 'plain'; zeroKey: boolean } | { kind: 'record'; producer: number; zeroKey: boolean } | { kind: 'end'; producer: number; commit: boolean };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('plain' as const), zeroKey: fc.boolean() }),
  fc.record({ kind: fc.constant('record' as const), producer: fc.nat(PRODUCERS - 1), zeroKey: fc.boolean() }),
  fc.record({ kind: fc.constant('end' as const), producer: fc.nat(PRODUCERS - 1), commit: fc.boolean() }),
);

interface PartitionLog {
  records: FetchedRecord[];
  /** Offsets of the records a read-committed consumer must see. */
  committed: Set<string>;
  /** Every aborted transaction with the offset of its marker, as the broker's transaction index keeps them. */
  aborted: (AbortedTransaction & { markerOffset: number })[];
}

function controlKey(commit: boolean): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(commit ? 1 : 0, 2);
  return key;
}

/** The partition the steps write, every transaction still open at the end decided by `closeWith`. */
function partitionLog(steps: Step[], closeWith: boolean[]): PartitionLog {
  const records: FetchedRecord[] = [];
  const committed = new Set<string>();
  const aborted: PartitionLog['aborted'] = [];
  const open = new Map<number, { firstOffset: number; offsets: string[] }>();
  const append = (producerId: string, inTransaction: boolean, key: Buffer | null, isControlRecord: boolean): string => {
    const offset = String(records.length);
    records.push({ offset, key, isControlRecord, batchContext: { firstOffset: offset, lastOffsetDelta: 0, producerId, inTransaction } });
    return offset;
  };
  const end = (producer: number, commit: boolean): void => {
    const transaction = open.get(producer);
    if (transaction === undefined) return;
    open.delete(producer);
    const markerOffset = Number(append(String(producer), true, controlKey(commit), true));
    if (commit) for (const offset of transaction.offsets) committed.add(offset);
    else aborted.push({ producerId: String(producer), firstOffset: String(transaction.firstOffset), markerOffset });
  };
  for (const next of steps) {
    if (next.kind === 'plain') {
      committed.add(append(NON_TRANSACTIONAL_PRODUCER, false, next.zeroKey ? ZERO_KEY : null, false));
    } else if (next.kind === 'record') {
      const offset = append(String(next.producer), true, next.zeroKey ? ZERO_KEY : Buffer.from(`key-${next.producer}`), false);
      const transaction = open.get(next.producer) ?? { firstOffset: Number(offset), offsets: [] };
      transaction.offsets.push(offset);
      open.set(next.producer, transaction);
    } else {
      end(next.producer, next.commit);
    }
  }
  for (let producer = 0; producer < PRODUCERS; producer++) end(producer, closeWith[producer] ?? false);
  return { records, committed, aborted };
}

/**
 * A fetch from `fetchOffset`: the records from there on and, in the broker's order (which no one
 * promises to be sorted), the aborted transactions whose marker is at or past the fetch offset.
 */
function fetchFrom(log: PartitionLog, fetchOffset: number, order: number[]): { messages: FetchedRecord[]; abortedTransactions: AbortedTransaction[] } {
  const relevant = log.aborted.filter((transaction) => transaction.markerOffset >= fetchOffset);
  const shuffled = relevant.map((transaction, index) => ({ transaction, rank: order[index] ?? 0 })).sort((a, b) => a.rank - b.rank);
  return {
    messages: log.records.filter((record) => Number(record.offset) >= fetchOffset),
    abortedTransactions: shuffled.map(({ transaction: { producerId, firstOffset } }) => ({ producerId, firstOffset })),
  };
}

/** What kafkajs hands to eachBatch from a fetch: the filter's result without control records. */
function visibleOffsets(fetch: ReturnType<typeof fetchFrom>): string[] {
  return filterAbortedMessages(fetch)
    .filter((record) => !record.isControlRecord)
    .map((record) => record.offset);
}

describe('kafkajs filterAbortedMessages, patched to the Java consumer\'s rules', () => {
  it('hands over exactly the committed and non-transactional records of any fetch', () => {
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 40 }),
        fc.array(fc.boolean(), { minLength: PRODUCERS, maxLength: PRODUCERS }),
        fc.nat(45),
        fc.array(fc.nat(), { maxLength: 40 }),
        (steps, closeWith, start, order) => {
          const log = partitionLog(steps, closeWith);
          const fetchOffset = Math.min(start, log.records.length);
          const expected = log.records.filter((r) => Number(r.offset) >= fetchOffset && log.committed.has(r.offset)).map((r) => r.offset);
          assert.deepEqual(visibleOffsets(fetchFrom(log, fetchOffset, order)), expected);
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it('drops both of two interleaved aborted transactions when the fetch starts inside both', () => {
    // Producers 0 and 1 write 0, 1, 0, 1, both abort (markers at 4 and 5), then a plain record at 6.
    const log = partitionLog(
      [
        { kind: 'record', producer: 0, zeroKey: false },
        { kind: 'record', producer: 1, zeroKey: false },
        { kind: 'record', producer: 0, zeroKey: false },
        { kind: 'record', producer: 1, zeroKey: false },
        { kind: 'end', producer: 0, commit: false },
        { kind: 'end', producer: 1, commit: false },
        { kind: 'plain', zeroKey: false },
      ],
      [],
    );
    // kafkajs 2.2.4 started one aborted transaction per record: producer 0's at offset 3, not producer 1's,
    // and let producer 1's record at offset 3 through.
    assert.deepEqual(visibleOffsets(fetchFrom(log, 3, [0, 1])), ['6']);
  });

  it('takes a record whose key is four zero bytes for an abort marker only when it is a control record', () => {
    // kafkajs 2.2.4 took offset 1 for producer 0's marker and let offsets 1 and 2 through.
    const log = partitionLog(
      [
        { kind: 'record', producer: 0, zeroKey: false },
        { kind: 'record', producer: 0, zeroKey: true },
        { kind: 'record', producer: 0, zeroKey: false },
        { kind: 'end', producer: 0, commit: false },
        { kind: 'plain', zeroKey: true },
      ],
      [],
    );
    assert.deepEqual(visibleOffsets(fetchFrom(log, 0, [])), ['4']);
  });
});
