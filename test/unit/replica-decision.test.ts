import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clampReplicas, decideReplicas } from '../../src/scaler/replica-decision.js';

describe('clampReplicas', () => {
  it('is the partition count within the minimum and maximum', () => {
    assert.deepEqual([1, 3, 6, 12].map((partitions) => clampReplicas(partitions, 2, 6)), [2, 3, 6, 6]);
    assert.equal(clampReplicas(4, 4, 4), 4);
  });
});

describe('decideReplicas', () => {
  const base = { topic: 'events', minReplicas: 1, maxReplicas: 100 };

  it('asks for one replica per partition and says why', () => {
    assert.deepEqual(decideReplicas({ ...base, partitions: 6, currentReplicas: 3 }), { desiredReplicas: 6, change: true, reason: 'topic events has 6 partitions' });
  });

  it('scales down a Deployment that has more replicas than partitions: an extra member would sit idle', () => {
    assert.deepEqual(decideReplicas({ ...base, partitions: 3, currentReplicas: 4 }), { desiredReplicas: 3, change: true, reason: 'topic events has 3 partitions' });
  });

  it('changes nothing when the replicas already match', () => {
    assert.equal(decideReplicas({ ...base, partitions: 3, currentReplicas: 3 }).change, false);
  });

  it('never goes above the maximum, and says it capped', () => {
    assert.deepEqual(decideReplicas({ ...base, maxReplicas: 4, partitions: 6, currentReplicas: 1 }), {
      desiredReplicas: 4,
      change: true,
      reason: 'topic events has 6 partitions; capped at the maximum of 4 replicas',
    });
  });

  it('never goes below the minimum, and says it raised', () => {
    assert.deepEqual(decideReplicas({ ...base, minReplicas: 2, partitions: 1, currentReplicas: 1 }), {
      desiredReplicas: 2,
      change: true,
      reason: 'topic events has 1 partition; raised to the minimum of 2 replicas',
    });
  });

  it('scales a Deployment someone scaled to zero back up to the partition count', () => {
    assert.deepEqual(decideReplicas({ ...base, minReplicas: 0, partitions: 2, currentReplicas: 0 }).desiredReplicas, 2);
  });
});
