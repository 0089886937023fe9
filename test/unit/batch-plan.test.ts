import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { planBatch } from '../../src/consumer/batch-plan.js';

describe('planBatch', () => {
  it('stores a batch that starts where the table stops', () => {
    assert.deepEqual(planBatch({ offset: '10', confirmed: false }, '10', '20'), { kind: 'store', from: '10', storeFrom: null });
  });

  it('trusts the committed offset when the partition has no stored offset', () => {
    assert.deepEqual(planBatch({ offset: null, confirmed: true }, '7', '9'), { kind: 'store', from: null, storeFrom: null });
  });

  it('stores only the records the table lacks when the batch overlaps it', () => {
    assert.deepEqual(planBatch({ offset: '15', confirmed: false }, '10', '20'), { kind: 'store', from: '15', storeFrom: '15' });
  });

  it('skips a batch the table holds, seeking when the table is beyond it', () => {
    assert.deepEqual(planBatch({ offset: '20', confirmed: false }, '10', '20'), { kind: 'skip', offset: '20', seek: false });
    assert.deepEqual(planBatch({ offset: '25', confirmed: false }, '10', '20'), { kind: 'skip', offset: '25', seek: true });
  });

  it('reads again from the table\'s offset once, then accepts a gap the topic no longer has', () => {
    assert.deepEqual(planBatch({ offset: '5', confirmed: false }, '10', '20'), { kind: 'reread', offset: '5' });
    assert.deepEqual(planBatch({ offset: '5', confirmed: true }, '10', '20'), { kind: 'store', from: '5', storeFrom: null });
  });

  it('never stores a record below the stored offset, and always advances the stored offset from it', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 1n << 62n }), fc.bigInt({ min: 1n, max: 10_000n }), fc.option(fc.bigInt({ min: 0n, max: 1n << 62n })), fc.boolean(), (first, length, stored, confirmed) => {
        const next = first + length;
        const plan = planBatch({ offset: stored === null ? null : stored.toString(), confirmed: stored === null || confirmed }, first.toString(), next.toString());
        if (stored === null) return assert.deepEqual(plan, { kind: 'store', from: null, storeFrom: null });
        if (plan.kind === 'store') {
          assert.equal(plan.from, stored.toString());
          assert.ok(stored < next);
          const lowestStored = plan.storeFrom === null ? first : BigInt(plan.storeFrom);
          assert.ok(lowestStored >= stored, 'nothing below the stored offset is stored again');
          assert.ok(plan.storeFrom !== null || stored <= first, 'the whole batch only when the table stops at or before it');
        } else if (plan.kind === 'skip') {
          assert.ok(stored >= next);
        } else {
          assert.ok(stored < first && !confirmed);
        }
      }),
    );
  });
});
