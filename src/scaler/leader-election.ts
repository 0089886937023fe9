/**
 * client-go's leader election (tools/leaderelection/leaderelection.go) over a coordination.k8s.io/v1
 * Lease, as pure state: the caller reads and writes the Lease and passes the clock in.
 *
 * Expiry is judged by local observation only: a Lease held by someone else expires when this replica
 * has not seen it change (a new resourceVersion) for the holder's leaseDurationSeconds, measured on
 * this replica's clock. The holder's renewTime is written for humans and never compared with our
 * clock, so clock skew between pods does not matter (only clock rate does). Every `now` passed in is
 * monotonic milliseconds; the times written into the Lease come from the wall clock given apart.
 *
 * Every write carries the resourceVersion last read, so of two replicas racing for an expired Lease
 * the API server lets exactly one win. The leader counts itself leader only while its last successful
 * write was sent less than renewDeadline ago; since renewDeadline < leaseDuration, it stops acting
 * before any other replica can see the Lease expire.
 */

/** client-go's JitterFactor: a candidate waits retryPeriod plus up to 1.2 times more between tries. */
export const jitterFactor = 1.2;

/** The parts of a Lease that leader election reads. */
export interface LeaseState {
  resourceVersion: string;
  /** '' when nobody holds it (released). */
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime: Date | undefined;
  leaseTransitions: number;
}

/** The spec written to the Lease. */
export interface LeaseSpec {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime: Date;
  renewTime: Date;
  leaseTransitions: number;
}

/**
 * What to do next: wait for the holder, or write the Lease (guarded by `resourceVersion`). A missing Lease is
 * reported, never created: the Helm chart creates it with the scaler and deletes it with the scaler, so a
 * scaler that created one would leave it behind (and would need RBAC to create any Lease of the namespace).
 */
export type LeaseStep =
  | { kind: 'wait'; holder: string; expiresInMs: number }
  | { kind: 'missing' }
  | { kind: 'acquire' | 'renew' | 'release'; spec: LeaseSpec; resourceVersion: string };

export type LeaseWrite = Exclude<LeaseStep, { kind: 'wait' } | { kind: 'missing' }>;

export interface LeaderElectionSettings {
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
}

export class LeaderElection {
  private observed: { lease: LeaseState; at: number } | undefined;
  /** When the last successful write as holder was sent; leadership lasts renewDeadline from here. */
  private renewedAt: number | undefined;

  constructor(
    private readonly settings: LeaderElectionSettings,
    /** For the acquire and renew times written into the Lease, which only humans read. */
    private readonly wallMs: () => number,
  ) {}

  /** True while this replica holds the Lease and renewed it less than renewDeadline ago. */
  isLeader(now: number): boolean {
    return this.leadershipLeftMs(now) > 0;
  }

  /** How much longer this replica may act without another renewal; 0 when it is not the leader. */
  leadershipLeftMs(now: number): number {
    if (this.observed?.lease.holderIdentity !== this.settings.identity || this.renewedAt === undefined) return 0;
    return Math.max(0, this.renewedAt + this.settings.renewDeadlineMs - now);
  }

  /** The holder last seen, '' for none. */
  holder(): string {
    return this.observed?.lease.holderIdentity ?? '';
  }

  /**
   * How long the next Lease requests may take: a leader only until its renew deadline, anyone else the
   * whole renew deadline (client-go bounds each try the same way).
   */
  requestBudgetMs(now: number): number {
    return this.isLeader(now) ? this.leadershipLeftMs(now) : this.settings.renewDeadlineMs;
  }

  /** client-go's fast path: a leader renews the Lease it last wrote without reading it first. */
  renewWithoutRead(now: number): LeaseWrite | undefined {
    if (!this.isLeader(now) || this.observed === undefined) return undefined;
    return this.renewal(this.observed.lease);
  }

  /** Decides from the Lease as just read; `undefined` means it does not exist. */
  stepFor(lease: LeaseState | undefined, now: number): LeaseStep {
    if (lease === undefined) return { kind: 'missing' };
    if (this.observed?.lease.resourceVersion !== lease.resourceVersion) this.observed = { lease, at: now };
    const { holderIdentity } = lease;
    if (holderIdentity === this.settings.identity) return this.renewal(lease);
    const expiresInMs = this.observedExpiry() - now;
    if (holderIdentity !== '' && expiresInMs > 0) return { kind: 'wait', holder: holderIdentity, expiresInMs };
    return { kind: 'acquire', spec: this.spec(this.wallMs(), lease.leaseTransitions + 1), resourceVersion: lease.resourceVersion };
  }

  /** The write of `step`, sent at `sentAt`, succeeded; `lease` is what the API server stored. */
  written(step: LeaseWrite, lease: LeaseState, sentAt: number): void {
    this.observed = { lease, at: sentAt };
    this.renewedAt = step.kind === 'release' ? undefined : sentAt;
  }

  /**
   * On shutdown: give the Lease up so a successor takes over at once instead of after leaseDuration.
   * Like client-go, it clears the holder and shortens the duration to 1 s.
   */
  releaseStep(): LeaseWrite | undefined {
    if (this.observed?.lease.holderIdentity !== this.settings.identity) return undefined;
    const { lease } = this.observed;
    const wall = this.wallMs();
    return {
      kind: 'release',
      spec: { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: new Date(wall), renewTime: new Date(wall), leaseTransitions: lease.leaseTransitions },
      resourceVersion: lease.resourceVersion,
    };
  }

  private observedExpiry(): number {
    return this.observed === undefined ? 0 : this.observed.at + this.observed.lease.leaseDurationSeconds * 1000;
  }

  private renewal(lease: LeaseState): LeaseWrite {
    const wall = this.wallMs();
    return {
      kind: 'renew',
      spec: this.spec(lease.acquireTime?.getTime() ?? wall, lease.leaseTransitions, wall),
      resourceVersion: lease.resourceVersion,
    };
  }

  private spec(acquiredAt: number, leaseTransitions: number, renewedAt = acquiredAt): LeaseSpec {
    return {
      holderIdentity: this.settings.identity,
      leaseDurationSeconds: this.settings.leaseDurationMs / 1000,
      acquireTime: new Date(acquiredAt),
      renewTime: new Date(renewedAt),
      leaseTransitions,
    };
  }
}
