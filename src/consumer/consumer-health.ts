import type { ProbeResult } from '../http/health-server.js';

/**
 * What /livez and /readyz need to know about the consumer, fed by its events. Pure state with the clock
 * passed in, so the rules are unit-tested without waiting.
 *
 * Alive means: not crashed, and not stalled. Stalled means an assigned partition has unread events and
 * no batch was stored for `stallTimeoutMs`, counted from when that work appeared, while no retry is
 * pending: a consumer waiting out a database outage is alive, a consumer that reads but never commits
 * is not.
 */
export class ConsumerHealth {
  private member = false;
  private crash: string | undefined;
  private lastProgressAt: number;
  private workSince: number | undefined;
  private readonly lag = new Map<number, number>();
  private readonly backoffs = new Map<number, number>();

  constructor(
    private readonly stallTimeoutMs: number,
    now: number,
  ) {
    this.lastProgressAt = now;
  }

  joined(partitions: readonly number[]): void {
    this.member = true;
    for (const partition of [...this.lag.keys()]) if (!partitions.includes(partition)) this.lag.delete(partition);
    for (const partition of [...this.backoffs.keys()]) if (!partitions.includes(partition)) this.backoffs.delete(partition);
  }

  leftGroup(): void {
    this.member = false;
  }

  crashed(reason: string): void {
    this.crash = reason;
    this.member = false;
  }

  batchStored(partition: number, now: number): void {
    this.lastProgressAt = now;
    this.backoffs.delete(partition);
  }

  batchFailed(partition: number, retryInMs: number): void {
    this.backoffs.set(partition, retryInMs);
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

  isMember(): boolean {
    return this.member;
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
