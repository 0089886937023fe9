import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { waitFor } from '../../deploy/local/system/wait-for.js';
import { createScalerMetrics } from '../../src/metrics/scaler-metrics.js';
import type { Clock } from '../../src/scaler/clock.js';
import { systemClock } from '../../src/scaler/clock.js';
import type { LeaseState, LeaseWrite } from '../../src/scaler/leader-election.js';
import { LeaderElector, type LeaseAccess } from '../../src/scaler/leader-elector.js';
import { ScalerHealth } from '../../src/scaler/scaler-health.js';

/** A Lease in memory, free as the chart creates it, that can stop answering as an unreachable API server does. */
class MemoryLease implements LeaseAccess {
  readonly name = 'scaler-lease';
  readonly namespace = 'default';
  unreachable = false;
  readonly writes: LeaseWrite[] = [];
  private state: LeaseState | undefined = { resourceVersion: '0', holderIdentity: '', leaseDurationSeconds: 1, acquireTime: undefined, leaseTransitions: 0 };

  async read(): Promise<LeaseState | undefined> {
    if (this.unreachable) throw new Error('connect ECONNREFUSED 127.0.0.1:6443');
    return this.state;
  }

  async write(step: LeaseWrite): Promise<LeaseState> {
    if (this.unreachable) throw new Error('connect ECONNREFUSED 127.0.0.1:6443');
    this.writes.push(step);
    const { holderIdentity, leaseDurationSeconds, acquireTime, leaseTransitions } = step.spec;
    this.state = { resourceVersion: String(this.writes.length), holderIdentity, leaseDurationSeconds, acquireTime, leaseTransitions };
    return this.state;
  }
}

/** Both clocks under the test's hand. */
class ManualClock implements Clock {
  monotonic = 0;
  wall = Date.UTC(2026, 11, 1, 12);
  monotonicMs = (): number => this.monotonic;
  wallMs = (): number => this.wall;
}

const settings = { identity: 'a', leaseDurationMs: 1_000, renewDeadlineMs: 300, retryPeriodMs: 20 };

function elector(lease: MemoryLease, clock: Clock): LeaderElector {
  return new LeaderElector(lease, settings, {
    logger: pino({ level: 'silent' }),
    metrics: createScalerMetrics(),
    health: new ScalerHealth({ election: 60_000, reconcile: 60_000 }, 0),
    clock,
    random: () => 0,
  });
}

describe('LeaderElector on its clocks', () => {
  it('stops leading a renew deadline after its last renewal even when the wall clock steps back an hour', async () => {
    const lease = new MemoryLease();
    const clock = new ManualClock();
    const leader = elector(lease, clock);
    const running = leader.run();
    try {
      await waitFor('leadership', async () => leader.isLeader(), (leading) => leading, { timeoutMs: 5_000, intervalMs: 10 });
      assert.deepEqual(lease.writes[0]?.spec.renewTime, new Date(clock.wall), 'the Lease carries wall-clock times for humans');

      lease.unreachable = true;
      clock.wall -= 3_600_000;
      clock.monotonic += 299;
      assert.equal(leader.isLeader(), true, 'within the renew deadline it still leads');
      clock.monotonic += 1;
      assert.equal(leader.isLeader(), false, 'a renew deadline of monotonic time after the last renewal it stops, whatever the wall clock says');
      assert.equal(leader.leadershipLeftMs(), 0);
    } finally {
      // Also when an assertion fails: a running elector would keep the test process from exiting.
      await leader.stop(Promise.resolve());
      await running;
    }
  });

  it('keeps leading across a forward step of the wall clock while it renews', async () => {
    const lease = new MemoryLease();
    const clock = new ManualClock();
    const leader = elector(lease, clock);
    const running = leader.run();
    try {
      await waitFor('leadership', async () => leader.isLeader(), (leading) => leading, { timeoutMs: 5_000, intervalMs: 10 });
      clock.wall += 3_600_000;
      assert.equal(leader.isLeader(), true, 'a wall-clock jump forward does not cut the leadership short');
    } finally {
      await leader.stop(Promise.resolve());
      await running;
    }
  });
});

describe('systemClock', () => {
  it('measures durations on a clock that does not follow Date.now', () => {
    const realNow = Date.now;
    const before = systemClock.monotonicMs();
    try {
      Date.now = () => realNow() - 3_600_000;
      assert.ok(systemClock.monotonicMs() >= before, 'the monotonic reading never goes back');
      assert.ok(Math.abs(systemClock.wallMs() - (realNow() - 3_600_000)) < 1_000, 'the wall reading is Date.now');
    } finally {
      Date.now = realNow;
    }
  });
});
