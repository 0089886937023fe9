import type { ProbeResult } from '../http/health-server.js';

/**
 * What /livez and /readyz need to know about the consumer, fed by its events. Pure state with the clock
 * passed in, so the rules are unit-tested without waiting.
 *
 * Alive means: not crashed, and not stalled. Stalled means an assigned partition has unread events and
 * no batch was stored for `stallTimeoutMs`, counted from when that work appeared, while no retry is
 * pending: a consumer waiting out a database outage is alive, a consumer that reads but never commits
 * is not.
 *
 * Stuck means a partition's batch has kept failing for longer than `stuckTimeoutMs`: the process is
 * alive and retrying, but that partition makes no progress, so readiness says so with the reason.
 * Blocked means a partition's stored offset cannot belong to the log it reads: no retry can help, an
 * operator must move the offset, so readiness says so at once.
 *
 * Out of the group means the member has not joined yet, or left it longer than `rebalanceGraceMs` ago:
 * every rebalance takes every member out of the group for a moment (kafkajs' eager protocol), and a
 * deploy or a scale event is a rebalance on every pod, so a rebalance is unreadiness only once it lasts.
 */
export class ConsumerHealth {
  /** Whether the member has joined its group once, and since when it is out of the group (undefined: in it). */
  private joinedOnce = false;
  private outSince: number | undefined;
  private crash: string | undefined;
  private lastProgressAt: number;
  private workSince: number | undefined;
  private readonly lag = new Map<number, number>();
  private readonly backoffs = new Map<number, number>();
  private readonly failing = new Map<number, { since: number; attempts: number; reason: string }>();
  private readonly blocked = new Map<number, string>();

  constructor(
    private readonly stallTimeoutMs: number,
    private readonly stuckTimeoutMs: number,
    private readonly rebalanceGraceMs: number,
    now: number,
  ) {
    this.lastProgressAt = now;
  }

  joined(partitions: readonly number[]): void {
    this.joinedOnce = true;
    this.outSince = undefined;
    for (const partition of [...this.lag.keys()]) if (!partitions.includes(partition)) this.lag.delete(partition);
    for (const partition of [...this.backoffs.keys()]) if (!partitions.includes(partition)) this.backoffs.delete(partition);
    for (const partition of [...this.failing.keys()]) if (!partitions.includes(partition)) this.failing.delete(partition);
    for (const partition of [...this.blocked.keys()]) if (!partitions.includes(partition)) this.blocked.delete(partition);
  }

  /** The member is out of its group from `now` on: a rebalance, a lost coordinator, or its stop. */
  leftGroup(now: number): void {
    this.outSince ??= now;
  }

  crashed(reason: string): void {
    this.crash = reason;
  }

  batchStored(partition: number, now: number): void {
    this.lastProgressAt = now;
    this.backoffs.delete(partition);
    this.failing.delete(partition);
    this.blocked.delete(partition);
  }

  /** The partition is blocked for `reason` and looked at again in `recheckInMs`. */
  partitionBlocked(partition: number, recheckInMs: number, reason: string): void {
    this.backoffs.set(partition, recheckInMs);
    this.blocked.set(partition, reason);
  }

  batchFailed(partition: number, retryInMs: number, reason: string, now: number): void {
    this.backoffs.set(partition, retryInMs);
    const since = this.failing.get(partition)?.since ?? now;
    this.failing.set(partition, { since, attempts: (this.failing.get(partition)?.attempts ?? 0) + 1, reason });
  }

  /** Partitions whose batch has failed for longer than the stuck timeout, with since when and why. */
  stuckPartitions(now: number): { partition: number; since: number; attempts: number; reason: string }[] {
    return [...this.failing.entries()]
      .filter(([, failure]) => now - failure.since > this.stuckTimeoutMs)
      .map(([partition, failure]) => ({ partition, ...failure }));
  }

  /**
   * Why the consumer cannot do its work now, the database aside: crashed, not in its group (beyond the
   * rebalance grace), or partitions blocked or stuck.
   */
  readinessProblem(now: number): string | undefined {
    if (this.crash !== undefined) return `consumer crashed: ${this.crash}`;
    if (!this.joinedOnce) return 'not a member of the consumer group yet';
    if (this.outSince !== undefined && now - this.outSince > this.rebalanceGraceMs) {
      return `out of the consumer group for ${Math.round((now - this.outSince) / 1000)} s, longer than a rebalance may take (READINESS_REBALANCE_GRACE_MS)`;
    }
    const problems = [
      ...this.blocked.values(),
      ...this.stuckPartitions(now).map(({ partition, since, attempts, reason }) => `partition ${partition} stuck for ${Math.round((now - since) / 1000)} s (${attempts} attempts): ${reason}`),
    ];
    return problems.length === 0 ? undefined : problems.join('; ');
  }

  /** The longest wait before a failed partition is retried, or 0 when all are healthy. */
  currentBackoffMs(): number {
    return Math.max(0, ...this.backoffs.values());
  }

  lagObserved(partition: number, lag: number, now: number): void {
    const hadWork = this.hasWork();
    this.lag.set(partition, lag);
    if (!hadWork && this.hasWork()) this.workSince = now;
  }

  liveness(now: number): ProbeResult {
    if (this.crash !== undefined) return { ok: false, reason: `consumer crashed: ${this.crash}` };
    if (this.hasWork() && this.backoffs.size === 0) {
      const idleMs = now - Math.max(this.lastProgressAt, this.workSince ?? 0);
      if (idleMs > this.stallTimeoutMs) {
        return { ok: false, reason: `no batch stored for ${Math.round(idleMs / 1000)} s while partitions have unread events` };
      }
    }
    return { ok: true, reason: 'ok' };
  }

  private hasWork(): boolean {
    return [...this.lag.values()].some((lag) => lag > 0);
  }
}
