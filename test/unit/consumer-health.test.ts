import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConsumerHealth } from '../../src/consumer/consumer-health.js';

const stallMs = 60_000;
const stuckMs = 300_000;
const graceMs = 30_000;

describe('ConsumerHealth', () => {
  it('is not ready before it first joins its group', () => {
    const health = new ConsumerHealth(stallMs, stuckMs, graceMs, 0);
    assert.equal(health.readinessProblem(10 * graceMs), 'not a member of the consumer group yet');
    health.joined([]);
    assert.equal(health.readinessProblem(10 * graceMs), undefined, 'a member with no partition (more replicas than partitions) is ready to take one');
  });

  it('stays ready through a rebalance shorter than the grace, and turns unready once one lasts longer', () => {
    const health = new ConsumerHealth(stallMs, stuckMs, graceMs, 0);
    health.joined([0, 1]);
    health.leftGroup(1_000);
    assert.equal(health.readinessProblem(1_000 + graceMs), undefined);
    health.joined([1, 2]);
    assert.equal(health.readinessProblem(1_000 + graceMs + 1), undefined);
    health.leftGroup(100_000);
    health.leftGroup(120_000);
    assert.equal(health.readinessProblem(100_000 + graceMs), undefined, 'the grace counts from the first leave, not the latest');
    assert.equal(
      health.readinessProblem(100_001 + graceMs),
      'out of the consumer group for 30 s, longer than a rebalance may take (READINESS_REBALANCE_GRACE_MS)',
    );
    health.joined([0]);
    assert.equal(health.readinessProblem(200_000), undefined);
  });

  it('stays alive while idle with nothing to read, however long', () => {
    const health = new ConsumerHealth(stallMs, stuckMs, graceMs, 0);
    health.joined([0]);
    health.lagObserved(0, 0, 1_000);
    assert.deepEqual(health.liveness(10 * stallMs), { ok: true, reason: 'ok' });
  });

  it('fails once work waits longer than the stall timeout with no batch stored: the zombie case', () => {
    const health = new ConsumerHealth(stallMs, stuckMs, graceMs, 0);
    health.joined([0]);
    health.lagObserved(0, 0, 1_000);
    health.lagObserved(0, 50, 500_000);
    assert.equal(health.liveness(500_000 + stallMs).ok, true, 'the clock starts when the work appears');
    const verdict = health.liveness(500_001 + stallMs);
    assert.equal(verdict.ok, false);
    assert.match(verdict.reason, /no batch stored for 60 s/);
    health.batchStored(0, 600_000);
    assert.equal(health.liveness(600_001).ok, true);
  });

  it('stays alive while a failed batch waits for its retry, and reports the longest backoff', () => {
    const health = new ConsumerHealth(stallMs, stuckMs, graceMs, 0);
    health.joined([0, 1]);
    health.lagObserved(0, 10, 0);
    health.batchFailed(0, 4_000, 'database down', 0);
    health.batchFailed(1, 8_000, 'database down', 0);
    assert.equal(health.liveness(10 * stallMs).ok, true);
    assert.equal(health.currentBackoffMs(), 8_000);
    health.batchStored(1, 10 * stallMs);
    assert.equal(health.currentBackoffMs(), 4_000);
  });

  it('forgets the lag and backoff of partitions it no longer owns', () => {
    const health = new ConsumerHealth(stallMs, stuckMs, graceMs, 0);
    health.joined([0, 1]);
    health.lagObserved(1, 10, 0);
    health.batchFailed(1, 2_000, 'database down', 0);
    health.joined([0]);
    assert.equal(health.currentBackoffMs(), 0);
    assert.equal(health.liveness(10 * stallMs).ok, true);
  });

  it('fails for good after a crash kafkajs does not restart from', () => {
    const health = new ConsumerHealth(stallMs, stuckMs, graceMs, 0);
    health.joined([0]);
    health.crashed('boom');
    assert.deepEqual(health.liveness(1), { ok: false, reason: 'consumer crashed: boom' });
    assert.equal(health.readinessProblem(1), 'consumer crashed: boom');
  });

  it('reports a partition stuck once its batch has failed for longer than the stuck timeout, until a batch is stored', () => {
    const health = new ConsumerHealth(stallMs, stuckMs, graceMs, 0);
    health.joined([0, 1]);
    health.batchFailed(1, 2_000, 'PostgreSQL refused all 3 rows', 1_000);
    health.batchFailed(1, 4_000, 'PostgreSQL refused all 3 rows', 3_000);
    assert.equal(health.readinessProblem(stuckMs), undefined);
    assert.deepEqual(health.stuckPartitions(stuckMs + 1_001), [{ partition: 1, since: 1_000, attempts: 2, reason: 'PostgreSQL refused all 3 rows' }]);
    assert.equal(health.readinessProblem(stuckMs + 1_001), 'partition 1 stuck for 300 s (2 attempts): PostgreSQL refused all 3 rows');
    health.batchStored(1, stuckMs + 2_000);
    assert.equal(health.readinessProblem(stuckMs + 3_000), undefined);
  });

  it('reports a blocked partition at once, stays alive while it waits, and forgets it once a batch is stored or it is revoked', () => {
    const health = new ConsumerHealth(stallMs, stuckMs, graceMs, 0);
    health.joined([0, 1]);
    health.lagObserved(1, 50, 1_000);
    health.partitionBlocked(1, 60_000, 'partition 1 blocked: past the end');
    assert.equal(health.readinessProblem(1_001), 'partition 1 blocked: past the end');
    assert.deepEqual(health.liveness(10 * stallMs), { ok: true, reason: 'ok' }, 'restarting would not help');
    health.batchStored(1, 2_000);
    assert.equal(health.readinessProblem(2_001), undefined);
    health.partitionBlocked(1, 60_000, 'partition 1 blocked: another cluster');
    health.joined([0]);
    assert.equal(health.readinessProblem(3_000), undefined);
  });
});
