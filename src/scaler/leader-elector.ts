import type { Logger } from 'pino';
import type { ScalerMetrics } from '../metrics/scaler-metrics.js';
import { jitterFactor, LeaderElection, type LeaseWrite } from './leader-election.js';
import type { Clock } from './clock.js';
import type { LeaseStore } from './lease-store.js';
import { Pause } from '../async/pause.js';
import { failureFields, kubeErrorKind, ScalerError } from './scaler-error.js';
import type { ScalerHealth } from './scaler-health.js';

export interface LeaderElectorSettings {
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/** The Lease as the elector reads and writes it (a LeaseStore). */
export type LeaseAccess = Pick<LeaseStore, 'name' | 'namespace' | 'read' | 'write'>;

export interface LeaderElectorDeps {
  logger: Logger;
  metrics: ScalerMetrics;
  health: ScalerHealth;
  clock: Clock;
  random: () => number;
}

/**
 * Runs leader election against the Lease: a round every retryPeriod (jittered while not leading, as
 * client-go does), each bounded by the renew deadline, and a release on stop.
 */
export class LeaderElector {
  private readonly election: LeaderElection;
  private readonly pause = new Pause();
  private readonly listeners: ((leading: boolean) => void)[] = [];
  private leading = false;
  private lastHolder = '';
  private running: Promise<void> | undefined;

  constructor(
    private readonly store: LeaseAccess,
    private readonly settings: LeaderElectorSettings,
    private readonly deps: LeaderElectorDeps,
  ) {
    this.election = new LeaderElection(settings, deps.clock.wallMs);
    deps.metrics.leader.set(0);
  }

  /** Whether this replica may act now. */
  isLeader(): boolean {
    return this.election.isLeader(this.now());
  }

  /** How much longer it may act: checked right before every change, and the longest that change may take. */
  leadershipLeftMs(): number {
    return this.election.leadershipLeftMs(this.now());
  }

  onLeadershipChange(listener: (leading: boolean) => void): void {
    this.listeners.push(listener);
  }

  /** Resolves when stopped; rejects only on a bug, never on an API failure. */
  run(): Promise<void> {
    this.running ??= this.loop();
    return this.running;
  }

  /**
   * Ends the rounds and, once `guardedWorkDone` resolves (nothing can change any more), gives the Lease
   * up so another replica takes over at once.
   */
  async stop(guardedWorkDone: Promise<void>): Promise<void> {
    this.pause.close();
    // A crash is reported to whoever called run().
    await Promise.all([this.running?.catch(() => undefined), guardedWorkDone]);
    await this.release();
  }

  /** Leadership is timed on the monotonic clock only. */
  private now(): number {
    return this.deps.clock.monotonicMs();
  }

  private async loop(): Promise<void> {
    const { retryPeriodMs } = this.settings;
    while (!this.pause.isClosed) {
      await this.round();
      this.deps.health.loopBeat('election', this.now());
      this.noticeChanges();
      await this.pause.for(this.leading ? retryPeriodMs : retryPeriodMs * (1 + this.deps.random() * jitterFactor));
    }
  }

  private async round(): Promise<void> {
    const now = (): number => this.now();
    const deadline = now() + this.election.requestBudgetMs(now());
    const remaining = (): number => Math.max(1, deadline - now());
    try {
      const renewal = this.election.renewWithoutRead(now());
      if (renewal !== undefined) {
        try {
          await this.write(renewal, remaining());
          this.deps.health.leaseRound({ ok: true, reason: 'ok' });
          return;
        } catch (error) {
          this.deps.logger.debug(failureFields(new ScalerError('lease', kubeErrorKind(error), error)), 'renewing the lease without reading it failed; reading it');
        }
      }
      const step = this.election.stepFor(await this.store.read(remaining()), now());
      if (step.kind === 'missing') throw this.missingLease();
      if (step.kind !== 'wait') await this.write(step, remaining());
      this.deps.health.leaseRound({ ok: true, reason: 'ok' });
    } catch (error) {
      this.failed(error);
    }
  }

  private async write(step: LeaseWrite, timeoutMs: number): Promise<void> {
    const sentAt = this.now();
    const lease = await this.store.write(step, timeoutMs);
    this.election.written(step, lease, sentAt);
  }

  private missingLease(): ScalerError {
    const cause = new Error(
      `Lease ${this.store.namespace}/${this.store.name} does not exist: the Helm chart creates it with the scaler (scaler.enabled); waiting for it`,
    );
    return new ScalerError('lease', 'api_not_found', cause);
  }

  private failed(error: unknown): void {
    const failure = error instanceof ScalerError ? error : new ScalerError('lease', kubeErrorKind(error), error);
    this.deps.metrics.errors.inc({ operation: failure.operation, kind: failure.code });
    // A conflict is another replica winning the race: the API server answered, all is well.
    const answered = failure.code === 'api_conflict';
    this.deps.health.leaseRound({ ok: answered, reason: failure.message });
    const fields = { ...failureFields(failure), lease: this.store.name, leading: this.isLeader() };
    if (answered) this.deps.logger.debug(fields, 'lost the race for the lease');
    else this.deps.logger.warn(fields, `lease round failed; trying again in ${this.settings.retryPeriodMs} ms`);
  }

  private noticeChanges(): void {
    const holder = this.election.holder();
    if (holder !== this.lastHolder) {
      this.lastHolder = holder;
      this.deps.logger.info({ lease: this.store.name, holder }, holder === '' ? 'lease is free' : 'lease holder observed');
    }
    const leading = this.isLeader();
    if (leading === this.leading) return;
    this.leading = leading;
    this.deps.metrics.leader.set(leading ? 1 : 0);
    this.deps.health.leadershipChanged(leading);
    const fields = { lease: this.store.name, namespace: this.store.namespace, identity: this.settings.identity };
    if (leading) this.deps.logger.info(fields, 'became leader');
    else {
      const why = holder === this.settings.identity ? `not renewed within the renew deadline of ${this.settings.renewDeadlineMs} ms` : `now held by ${holder || 'nobody'}`;
      this.deps.logger.warn({ ...fields, holder }, `stopped leading: the lease was ${why}`);
    }
    for (const listener of this.listeners) listener(leading);
  }

  private async release(): Promise<void> {
    const sentAt = this.now();
    const step = this.election.releaseStep();
    if (step === undefined) return;
    try {
      // A courtesy to the successor: if the API server is slow to answer, the Lease expires on its own.
      const lease = await this.store.write(step, this.settings.retryPeriodMs);
      this.election.written(step, lease, sentAt);
      this.deps.logger.info({ lease: this.store.name, identity: this.settings.identity }, 'released the lease');
    } catch (error) {
      const failure = new ScalerError('lease', kubeErrorKind(error), error);
      // On `helm uninstall` or a rollback to a release without the scaler, Helm deletes the Lease, Role and
      // RoleBinding while the pods are still stopping: nothing is left to release, and that is no failure.
      const gone = failure.code === 'api_forbidden' || failure.code === 'api_not_found';
      const message = gone
        ? 'the Lease or the scaler\'s Role is gone (deleted with the scaler by Helm): nothing to release'
        : 'could not release the lease; another replica takes over once it expires';
      this.deps.logger.warn({ ...failureFields(failure), lease: this.store.name }, message);
    }
    if (this.leading) {
      this.leading = false;
      this.deps.metrics.leader.set(0);
      this.deps.health.leadershipChanged(false);
      for (const listener of this.listeners) listener(false);
    }
  }
}
