import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { planReset, type PartitionExtent } from '../../src/offsets/reset-target.js';

const extents: PartitionExtent[] = [
  { partition: 0, low: 0n, high: 100n, atTime: 40n },
  { partition: 1, low: 20n, high: 50n, atTime: null },
];

describe('planReset', () => {
  it('moves to the log start, the log end, a clamped offset or the first record at a time', () => {
    const stored = new Map([[0, '60']]);
    assert.deepEqual(planReset({ kind: 'earliest' }, extents, stored), [
      { partition: 0, from: '60', to: '0', reread: '60', skipped: '0' },
      { partition: 1, from: null, to: '20', reread: '0', skipped: '0' },
    ]);
    assert.deepEqual(planReset({ kind: 'latest' }, extents, stored).map((m) => [m.to, m.skipped]), [['100', '40'], ['50', '0']]);
    assert.deepEqual(planReset({ kind: 'offset', offset: 10n }, extents, stored).map((m) => m.to), ['10', '20']);
    assert.deepEqual(planReset({ kind: 'offset', offset: 500n }, extents, stored).map((m) => m.to), ['100', '50']);
    assert.deepEqual(planReset({ kind: 'time', time: new Date(0) }, extents, stored).map((m) => m.to), ['40', '50']);
    const committed = extents.map((extent) => ({ ...extent, committed: extent.partition === 0 ? 70n : 5n }));
    assert.deepEqual(planReset({ kind: 'committed' }, committed, stored).map((m) => [m.to, m.skipped]), [['70', '10'], ['20', '0']]);
  });

  it('always lands inside the partition and counts exactly the records read again or skipped', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 1n << 40n }), fc.bigInt({ min: 0n, max: 1n << 20n }), fc.bigInt({ min: 0n, max: 1n << 41n }), fc.option(fc.bigInt({ min: 0n, max: 1n << 41n })), (low, length, offset, storedOffset) => {
        const extent = { partition: 0, low, high: low + length };
        const stored = storedOffset === null ? new Map<number, string>() : new Map([[0, storedOffset.toString()]]);
        const [move] = planReset({ kind: 'offset', offset }, [extent], stored);
        assert.ok(move !== undefined);
        const to = BigInt(move.to);
        assert.ok(to >= extent.low && to <= extent.high);
        if (storedOffset === null) assert.deepEqual([move.reread, move.skipped], ['0', '0']);
        else assert.equal(BigInt(move.skipped) - BigInt(move.reread), to - storedOffset);
      }),
    );
  });
});
