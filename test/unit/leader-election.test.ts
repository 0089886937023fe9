import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeaderElection, type LeaseState, type LeaseStep, type LeaseWrite } from '../../src/scaler/leader-election.js';

const settings = { identity: 'a', leaseDurationMs: 15_000, renewDeadlineMs: 10_000 };
/** The wall clock stamps the Lease's times only; every `now` below is monotonic milliseconds. */
const wallMs = Date.UTC(2026, 11, 1);
const wall = (): number => wallMs;

function lease(resourceVersion: string, holderIdentity: string, overrides: Partial<LeaseState> = {}): LeaseState {
  return { resourceVersion, holderIdentity, leaseDurationSeconds: 15, acquireTime: new Date(0), leaseTransitions: 0, ...overrides };
}

function asWrite(step: LeaseStep): LeaseWrite {
  assert.notEqual(step.kind, 'wait', 'expected a write');
  return step as LeaseWrite;
}

/** The resourceVersion a write is guarded by. */
function guard(step: LeaseStep | undefined): string {
  assert.ok(step !== undefined && 'resourceVersion' in step, 'expected a guarded write');
  return step.resourceVersion;
}

/** What the API server would store for a write: the spec, under a new resourceVersion. */
function stored(step: LeaseWrite, resourceVersion: string): LeaseState {
  const { holderIdentity, leaseDurationSeconds, acquireTime, leaseTransitions } = step.spec;
  return { resourceVersion, holderIdentity, leaseDurationSeconds, acquireTime, leaseTransitions };
}

/** An election that has just become leader at `at` of the free Lease the chart created, holding resourceVersion "1". */
function leaderAt(at: number): LeaderElection {
  const election = new LeaderElection(settings, wall);
  const step = asWrite(election.stepFor(lease('0', ''), at));
  election.written(step, stored(step, '1'), at);
  return election;
}

describe('LeaderElection', () => {
  it('reports a missing Lease instead of creating it: the chart creates and deletes it with the scaler', () => {
    assert.deepEqual(new LeaderElection(settings, wall).stepFor(undefined, 1_000), { kind: 'missing' });
  });

  it('acquires the free Lease the chart created and leads until the renew deadline', () => {
    const election = new LeaderElection(settings, wall);
    const step = election.stepFor(lease('0', ''), 1_000);
    assert.deepEqual(step, {
      kind: 'acquire',
      spec: { holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: new Date(wallMs), renewTime: new Date(wallMs), leaseTransitions: 1 },
      resourceVersion: '0',
    });
    assert.equal(election.isLeader(1_000), false, 'not before the write succeeded');
    election.written(asWrite(step), stored(asWrite(step), '1'), 1_000);
    assert.equal(election.isLeader(10_999), true);
    assert.equal(election.isLeader(11_000), false, 'a leader that has not renewed for renewDeadline stops acting');
  });

  it('waits for a Lease another replica holds until it has not seen it change for leaseDurationSeconds', () => {
    const election = new LeaderElection(settings, wall);
    assert.deepEqual(election.stepFor(lease('7', 'b'), 100_000), { kind: 'wait', holder: 'b', expiresInMs: 15_000 });
    assert.deepEqual(election.stepFor(lease('7', 'b'), 114_999), { kind: 'wait', holder: 'b', expiresInMs: 1 });
    const step = election.stepFor(lease('7', 'b', { leaseTransitions: 4 }), 115_000);
    assert.equal(step.kind, 'acquire');
    assert.equal(guard(step), '7', 'the write is guarded by the resourceVersion read');
    assert.equal(asWrite(step).spec.holderIdentity, 'a');
    assert.equal(asWrite(step).spec.leaseTransitions, 5);
  });

  it('restarts the expiry clock whenever the Lease changes: the holder renewed it', () => {
    const election = new LeaderElection(settings, wall);
    election.stepFor(lease('7', 'b'), 0);
    assert.equal(election.stepFor(lease('8', 'b'), 10_000).kind, 'wait');
    assert.equal(election.stepFor(lease('8', 'b'), 24_999).kind, 'wait');
    assert.equal(election.stepFor(lease('8', 'b'), 25_000).kind, 'acquire');
  });

  it('judges expiry by its own clock only: the first sighting counts, however old the Lease claims to be', () => {
    // A replica that starts long after the holder died still waits one full lease duration: it cannot
    // know how old the Lease is without trusting the other pod's clock.
    const election = new LeaderElection(settings, wall);
    assert.equal(election.stepFor(lease('7', 'b', { acquireTime: new Date(0) }), 1_000_000_000).kind, 'wait');
    assert.equal(election.stepFor(lease('7', 'b'), 1_000_015_000).kind, 'acquire');
  });

  it('uses the duration the holder wrote into the Lease, not its own', () => {
    const election = new LeaderElection(settings, wall);
    election.stepFor(lease('7', 'b', { leaseDurationSeconds: 30 }), 0);
    assert.equal(election.stepFor(lease('7', 'b', { leaseDurationSeconds: 30 }), 29_999).kind, 'wait');
    assert.equal(election.stepFor(lease('7', 'b', { leaseDurationSeconds: 30 }), 30_000).kind, 'acquire');
  });

  it('takes a released Lease (no holder) at once', () => {
    const election = new LeaderElection(settings, wall);
    assert.equal(election.stepFor(lease('9', '', { leaseDurationSeconds: 1 }), 0).kind, 'acquire');
  });

  it('renews a Lease that names it, keeping the acquire time and transitions (a restart with the same identity)', () => {
    const election = new LeaderElection(settings, wall);
    const step = asWrite(election.stepFor(lease('7', 'a', { acquireTime: new Date(500), leaseTransitions: 3 }), 60_000));
    assert.equal(step.kind, 'renew');
    assert.deepEqual(step.spec, { holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: new Date(500), renewTime: new Date(wallMs), leaseTransitions: 3 });
  });

  it('lets only one of two racing candidates win: the loser sees the new holder and waits a full duration', () => {
    const a = new LeaderElection(settings, wall);
    const b = new LeaderElection({ ...settings, identity: 'b' }, wall);
    const expired = lease('7', 'c');
    a.stepFor(expired, 0);
    b.stepFor(expired, 0);
    const aStep = asWrite(a.stepFor(expired, 15_000));
    assert.equal(guard(b.stepFor(expired, 15_000)), '7', 'both try with the same resourceVersion');
    a.written(aStep, stored(aStep, '8'), 15_000);
    // The API server refused b's write (409): b reads again.
    assert.deepEqual(b.stepFor(stored(aStep, '8'), 15_100), { kind: 'wait', holder: 'a', expiresInMs: 15_000 });
    assert.equal(a.isLeader(15_100), true);
    assert.equal(b.isLeader(15_100), false);
  });

  it('renews without reading first while leading, guarded by the resourceVersion it wrote', () => {
    const election = leaderAt(0);
    const renewal = election.renewWithoutRead(2_000);
    assert.equal(renewal?.kind, 'renew');
    assert.equal(guard(renewal), '1');
    assert.deepEqual(renewal.spec.renewTime, new Date(wallMs));
    election.written(renewal, stored(renewal, '2'), 2_000);
    assert.equal(election.isLeader(11_999), true, 'the renew deadline counts from the last renewal sent');
    assert.equal(election.renewWithoutRead(12_000), undefined, 'past the deadline it must read the Lease again');
  });

  it('counts leadership from when the renewal was sent, not when its answer came', () => {
    const election = leaderAt(0);
    const renewal = asWrite(election.stepFor(lease('1', 'a'), 5_000));
    election.written(renewal, stored(renewal, '2'), 5_000);
    assert.equal(election.isLeader(14_999), true);
    assert.equal(election.isLeader(15_000), false);
  });

  it('stops leading at once when a read shows another holder', () => {
    const election = leaderAt(0);
    assert.equal(election.stepFor(lease('5', 'b'), 1_000).kind, 'wait');
    assert.equal(election.isLeader(1_000), false);
    assert.equal(election.holder(), 'b');
  });

  it('gives a leader only the time left before its deadline for the next requests', () => {
    const election = leaderAt(0);
    assert.equal(election.leadershipLeftMs(4_000), 6_000);
    assert.equal(election.requestBudgetMs(4_000), 6_000);
    assert.equal(election.leadershipLeftMs(12_000), 0);
    const follower = new LeaderElection(settings, wall);
    assert.equal(follower.leadershipLeftMs(4_000), 0);
    assert.equal(follower.requestBudgetMs(4_000), 10_000);
  });

  it('releases a Lease it holds by clearing the holder, so a successor need not wait', () => {
    const election = leaderAt(0);
    const release = election.releaseStep();
    assert.deepEqual(release, {
      kind: 'release',
      spec: { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: new Date(wallMs), renewTime: new Date(wallMs), leaseTransitions: 1 },
      resourceVersion: '1',
    });
    election.written(release, stored(release, '2'), 3_000);
    assert.equal(election.isLeader(3_000), false);
    assert.equal(election.releaseStep(), undefined, 'nothing to release twice');
  });

  it('does not release a Lease someone else holds', () => {
    const election = new LeaderElection(settings, wall);
    election.stepFor(lease('7', 'b'), 0);
    assert.equal(election.releaseStep(), undefined);
  });
});
