import type { ScalerConfig } from '../config/scaler-config-schema.js';
import type { ProbeResult } from '../http/health-server.js';
import { jitterFactor } from './leader-election.js';

/** The scaler's two loops: leader election, and reconciling (which acts only while leading). */
export type ScalerLoop = 'election' | 'reconcile';

/**
 * How long each loop may go without completing an iteration before /livez fails: twice its longest
 * iteration. Every step of an iteration has a time budget (a reconcile and a Lease round both get
 * the renew deadline), so only a stuck loop ever exceeds this.
 */
export function loopAllowances({ scaler, leaderElection, retry }: ScalerConfig): Record<ScalerLoop, number> {
  const { renewDeadlineMs, retryPeriodMs } = leaderElection;
  return {
    election: 2 * (renewDeadlineMs + retryPeriodMs * (1 + jitterFactor)),
    reconcile: 2 * (Math.max(scaler.intervalMs, retry.maxDelayMs) + renewDeadlineMs),
  };
}

/**
 * What /livez and /readyz know about the scaler, as pure state with the clock passed in.
 *
 * Alive: neither loop stalled (a loop that crashes stops the process). Ready: the API server answered the last Lease round, and,
 * while leading, the last reconcile (which also reaches Kafka) succeeded. A healthy follower is ready.
 */
export class ScalerHealth {
  private readonly beats: Map<ScalerLoop, number>;
  private lease: ProbeResult | undefined;
  private leading = false;
  private reconcile: ProbeResult | undefined;

  constructor(
    private readonly allowances: Record<ScalerLoop, number>,
    now: number,
  ) {
    this.beats = new Map([['election', now], ['reconcile', now]]);
  }

  loopBeat(loop: ScalerLoop, now: number): void {
    this.beats.set(loop, now);
  }

  /** The outcome of one Lease round: ok when the API server answered it. */
  leaseRound(result: ProbeResult): void {
    this.lease = result;
  }

  /** A new term starts with no reconcile: a fresh leader is ready once its first one succeeds. */
  leadershipChanged(leading: boolean): void {
    this.leading = leading;
    this.reconcile = undefined;
  }

  reconciled(result: ProbeResult): void {
    this.reconcile = result;
  }

  liveness(now: number): ProbeResult {
    for (const [loop, beat] of this.beats) {
      const idleMs = now - beat;
      if (idleMs > this.allowances[loop]) return { ok: false, reason: `${loop} loop has not completed a round for ${Math.round(idleMs / 1000)} s` };
    }
    return { ok: true, reason: 'ok' };
  }

  readiness(): ProbeResult {
    if (this.lease === undefined) return { ok: false, reason: 'no leader election round yet' };
    if (!this.lease.ok) return { ok: false, reason: `leader election: ${this.lease.reason}` };
    if (!this.leading) return { ok: true, reason: 'ok: following' };
    if (this.reconcile === undefined) return { ok: false, reason: 'leading; first reconcile pending' };
    return this.reconcile.ok ? { ok: true, reason: 'ok: leading' } : { ok: false, reason: `reconcile: ${this.reconcile.reason}` };
  }
}
