import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadScalerConfig } from '../../src/config/scaler-config-schema.js';
import { loopAllowances, ScalerHealth } from '../../src/scaler/scaler-health.js';

const allowances = { election: 30_000, reconcile: 120_000 };
const ok = { ok: true, reason: 'ok' };

describe('ScalerHealth', () => {
  it('is not ready before its first Lease round', () => {
    assert.equal(new ScalerHealth(allowances, 0).readiness().ok, false);
  });

  it('is ready as a follower whose Lease rounds reach the API server', () => {
    const health = new ScalerHealth(allowances, 0);
    health.leaseRound(ok);
    assert.deepEqual(health.readiness(), { ok: true, reason: 'ok: following' });
  });

  it('is not ready when the API server does not answer the Lease round', () => {
    const health = new ScalerHealth(allowances, 0);
    health.leaseRound({ ok: false, reason: 'lease failed (api_unreachable): connect ECONNREFUSED' });
    assert.deepEqual(health.readiness(), { ok: false, reason: 'leader election: lease failed (api_unreachable): connect ECONNREFUSED' });
  });

  it('is ready as a leader only once a reconcile succeeded, and not after one failed', () => {
    const health = new ScalerHealth(allowances, 0);
    health.leaseRound(ok);
    health.leadershipChanged(true);
    assert.equal(health.readiness().ok, false, 'a fresh leader has not reached Kafka yet');
    health.reconciled(ok);
    assert.deepEqual(health.readiness(), { ok: true, reason: 'ok: leading' });
    health.reconciled({ ok: false, reason: 'partitions failed (kafka_unreachable)' });
    assert.deepEqual(health.readiness(), { ok: false, reason: 'reconcile: partitions failed (kafka_unreachable)' });
  });

  it('forgets the last term\'s reconcile when leadership changes', () => {
    const health = new ScalerHealth(allowances, 0);
    health.leaseRound(ok);
    health.leadershipChanged(true);
    health.reconciled({ ok: false, reason: 'broken' });
    health.leadershipChanged(false);
    assert.equal(health.readiness().ok, true, 'a follower does not reconcile, so an old failure says nothing');
  });

  it('is alive while both loops complete rounds within their allowances', () => {
    const health = new ScalerHealth(allowances, 0);
    health.loopBeat('election', 25_000);
    assert.equal(health.liveness(50_000).ok, true);
    assert.deepEqual(health.liveness(55_001), { ok: false, reason: 'election loop has not completed a round for 30 s' });
    health.loopBeat('election', 55_000);
    assert.deepEqual(health.liveness(120_001), { ok: false, reason: 'election loop has not completed a round for 65 s' });
    health.loopBeat('election', 120_000);
    assert.deepEqual(health.liveness(120_001), { ok: false, reason: 'reconcile loop has not completed a round for 120 s' });
  });
});

describe('loopAllowances', () => {
  it('allows each loop twice its longest round', () => {
    const config = loadScalerConfig({ SCALER_DEPLOYMENT: 'todo-history' });
    // election: renew deadline 10 s + the longest jittered wait 2 s x 2.2; reconcile: the 60 s backoff cap + a 10 s budget.
    assert.deepEqual(loopAllowances(config), { election: 2 * (10_000 + 4_400), reconcile: 2 * (60_000 + 10_000) });
  });
});
