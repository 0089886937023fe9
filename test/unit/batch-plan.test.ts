import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { planBatch, planStart, type FetchedRange, type LogExtent, type PartitionPosition } from '../../src/consumer/batch-plan.js';

const cluster = 'cluster-a';

function position(offset: string | null, fetchFrom: string | null = null, clusterId: string | null = cluster): PartitionPosition {
  return { offset, clusterId, fetchFrom };
}

function fetched(first: string, next: string, highWatermark = next): FetchedRange {
  return { first, next, highWatermark, clusterId: cluster };
}

/** An extent reader that must not be asked. */
function noExtent(): Promise<LogExtent> {
  return Promise.reject(new Error('the log extent was read though the plan does not need it'));
}

function extent(start: string, end: string): () => Promise<LogExtent> {
  return () => Promise.resolve({ start, end });
}

describe('planBatch', () => {
  it('stores a batch that starts where the table stops', async () => {
    assert.deepEqual(await planBatch(position('10'), fetched('10', '20'), noExtent), { kind: 'store', from: '10', storeFrom: null, lost: null });
  });

  it('trusts the committed offset when the partition has no stored offset', async () => {
    assert.deepEqual(await planBatch(position(null, null, null), fetched('7', '9'), noExtent), { kind: 'store', from: null, storeFrom: null, lost: null });
  });

  it('stores only the records the table lacks when the batch overlaps it', async () => {
    assert.deepEqual(await planBatch(position('15'), fetched('10', '20'), noExtent), { kind: 'store', from: '15', storeFrom: '15', lost: null });
  });

  it('skips a batch the table holds, seeking when the table is beyond it', async () => {
    assert.deepEqual(await planBatch(position('20'), fetched('10', '20'), noExtent), { kind: 'skip', offset: '20', seek: false });
    assert.deepEqual(await planBatch(position('25'), fetched('10', '20', '30'), noExtent), { kind: 'skip', offset: '25', seek: true });
  });

  it('reads again from the table\'s offset once, then accepts a gap of records that were never messages', async () => {
    assert.deepEqual(await planBatch(position('5'), fetched('10', '20'), noExtent), { kind: 'reread', offset: '5' });
    assert.deepEqual(await planBatch(position('5', '5'), fetched('10', '20'), extent('0', '20')), { kind: 'store', from: '5', storeFrom: null, lost: null });
  });

  it('counts the records retention deleted before they were read, and reads on from the log start', async () => {
    assert.deepEqual(await planBatch(position('5', '5'), fetched('100', '120'), extent('100', '120')), { kind: 'store', from: '5', storeFrom: null, lost: { from: '5', to: '100' } });
  });

  it('reads from the log start when the fetch went past it (kafkajs reset to the end)', async () => {
    assert.deepEqual(await planBatch(position('5', '5'), fetched('500', '520'), extent('100', '520')), { kind: 'reread', offset: '100' });
    assert.deepEqual(await planBatch(position('5', '100'), fetched('103', '120'), extent('100', '120')), { kind: 'store', from: '5', storeFrom: null, lost: { from: '5', to: '100' } });
  });

  it('blocks a partition whose stored offset lies past the log end (a recreated topic), and skips nothing', async () => {
    assert.deepEqual(await planBatch(position('1000', '1000'), fetched('0', '50', '50'), extent('0', '50')), {
      kind: 'blocked',
      mismatch: { code: 'past_log_end', storedOffset: '1000', logEnd: '50' },
    });
  });

  it('believes the broker\'s list over a fetch\'s high watermark that trails it', async () => {
    assert.deepEqual(await planBatch(position('60', '60'), fetched('0', '50', '50'), extent('0', '70')), { kind: 'skip', offset: '60', seek: true });
  });

  it('blocks a partition whose offset was stored reading another cluster', async () => {
    assert.deepEqual(await planBatch(position('10', '10', 'cluster-b'), fetched('10', '20'), noExtent), {
      kind: 'blocked',
      mismatch: { code: 'other_cluster', storedClusterId: 'cluster-b', clusterId: cluster },
    });
    assert.equal((await planBatch(position('10', '10', null), fetched('10', '20'), noExtent)).kind, 'store');
  });

  it('never stores a record below the stored offset, never skips one the log still has, and advances the stored offset from it', async () => {
    const offset = fc.bigInt({ min: 0n, max: 1n << 40n });
    await fc.assert(
      fc.asyncProperty(offset, fc.bigInt({ min: 1n, max: 10_000n }), offset, fc.option(offset), offset, fc.bigInt({ min: 0n, max: 1_000n }), async (first, length, stored, fetchFrom, start, beyond) => {
        const next = first + length;
        const end = next + beyond;
        fc.pre(start <= first);
        const plan = await planBatch(position(stored.toString(), fetchFrom === null ? null : fetchFrom.toString()), fetched(first.toString(), next.toString(), end.toString()), extent(start.toString(), end.toString()));
        if (plan.kind === 'store') {
          assert.equal(plan.from, stored.toString());
          assert.ok(stored < next);
          const lowestStored = plan.storeFrom === null ? first : BigInt(plan.storeFrom);
          assert.ok(lowestStored >= stored, 'nothing below the stored offset is stored again');
          // Between the stored offset and the batch, only records the log no longer has may go unread.
          const unread = lowestStored - stored;
          const lost = plan.lost === null ? 0n : BigInt(plan.lost.to) - BigInt(plan.lost.from);
          if (unread > 0n) assert.ok(stored < start || fetchFrom !== null, 'a gap is accepted only after a seek, or below the log start');
          assert.equal(lost, stored < start ? start - stored : 0n);
        } else if (plan.kind === 'skip') {
          assert.ok(stored >= next && stored <= end);
        } else if (plan.kind === 'reread') {
          assert.ok(BigInt(plan.offset) === stored || BigInt(plan.offset) === start);
        } else {
          assert.ok(stored > end);
        }
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('planStart', () => {
  const facts = { stored: undefined, committed: null, extent: { start: '100', end: '500' }, clusterId: cluster, fromBeginning: false };

  it('starts at the stored offset, whatever the group committed', () => {
    assert.deepEqual(planStart({ ...facts, stored: { offset: '200', clusterId: cluster }, committed: '300' }), { kind: 'seek', offset: '200', lost: null });
  });

  it('starts a stored offset below the log start at the start, whatever KAFKA_FROM_BEGINNING says', () => {
    for (const fromBeginning of [true, false]) {
      assert.deepEqual(planStart({ ...facts, fromBeginning, stored: { offset: '40', clusterId: cluster } }), { kind: 'seek', offset: '100', lost: null });
      assert.deepEqual(planStart({ ...facts, fromBeginning, committed: '40' }), { kind: 'seek', offset: '100', lost: { from: '40', to: '100' } });
    }
  });

  it('takes over the group\'s committed offset when the table has none', () => {
    assert.deepEqual(planStart({ ...facts, committed: '300' }), { kind: 'as-kafkajs' });
  });

  it('starts a partition with no offset anywhere where KAFKA_FROM_BEGINNING says', () => {
    assert.deepEqual(planStart({ ...facts, fromBeginning: true }), { kind: 'as-kafkajs' });
    assert.deepEqual(planStart({ ...facts, fromBeginning: false }), { kind: 'seek', offset: '500', lost: null });
  });

  it('blocks a stored offset past the log end or of another cluster', () => {
    assert.deepEqual(planStart({ ...facts, stored: { offset: '501', clusterId: cluster } }), { kind: 'blocked', mismatch: { code: 'past_log_end', storedOffset: '501', logEnd: '500' } });
    assert.deepEqual(planStart({ ...facts, stored: { offset: '200', clusterId: 'cluster-b' } }), {
      kind: 'blocked',
      mismatch: { code: 'other_cluster', storedClusterId: 'cluster-b', clusterId: cluster },
    });
    assert.deepEqual(planStart({ ...facts, stored: { offset: '200', clusterId: null } }), { kind: 'seek', offset: '200', lost: null });
  });
});
