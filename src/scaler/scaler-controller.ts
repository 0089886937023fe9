import type { Logger } from 'pino';
import type { RetryConfig } from '../config/config-schema.js';
import type { ScalerMetrics } from '../metrics/scaler-metrics.js';
import { backoffDelay } from '../retry/retry-backoff.js';
import { Pause } from '../async/pause.js';
import type { Clock } from './clock.js';
import type { Reconciler } from './reconciler.js';
import { failureFields, ScalerError } from './scaler-error.js';
import type { ScalerHealth } from './scaler-health.js';

export interface ScalerControllerDeps {
  reconciler: Reconciler;
  isLeader: () => boolean;
  intervalMs: number;
  retry: RetryConfig;
  logger: Logger;
  metrics: ScalerMetrics;
  health: ScalerHealth;
  clock: Clock;
}

/**
 * The reconcile loop: while leading, reconciles every interval, and after a failure retries with
 * exponential backoff instead; while following, only waits. `wake()` starts a reconcile at once (on
 * becoming leader).
 */
export class ScalerController {
  private readonly pause = new Pause();
  private failures = 0;
  private running: Promise<void> | undefined;

  constructor(private readonly deps: ScalerControllerDeps) {}

  /** Resolves when stopped, after the reconcile in flight; rejects only on a bug. */
  run(): Promise<void> {
    this.running ??= this.loop();
    return this.running;
  }

  wake(): void {
    this.pause.wake();
  }

  /** Stops the loop and waits for the reconcile in flight, so nothing changes after it resolves. */
  async stop(): Promise<void> {
    this.pause.close();
    // A crash is reported to whoever called run().
    await this.running?.catch(() => undefined);
  }

  private async loop(): Promise<void> {
    while (!this.pause.isClosed) {
      const delayMs = this.deps.isLeader() ? await this.reconcileOnce() : this.deps.intervalMs;
      this.deps.health.loopBeat('reconcile', this.deps.clock.monotonicMs());
      await this.pause.for(delayMs);
    }
  }

  /** Reconciles once and returns how long to wait before the next one. */
  private async reconcileOnce(): Promise<number> {
    const { logger, metrics, health, retry } = this.deps;
    try {
      const result = await this.deps.reconciler.reconcile();
      if (result.kind === 'not-leader') return this.deps.intervalMs;
      if (this.failures > 0) logger.info({ failures: this.failures }, 'reconcile succeeded again');
      this.failures = 0;
      metrics.retryBackoffSeconds.set(0);
      metrics.lastReconcileSeconds.set(this.deps.clock.wallMs() / 1000);
      health.reconciled({ ok: true, reason: 'ok' });
      logger.debug(result, 'reconciled');
      return this.deps.intervalMs;
    } catch (error) {
      if (!(error instanceof ScalerError)) throw error;
      this.failures += 1;
      const delayMs = backoffDelay(this.failures, retry.initialDelayMs, retry.maxDelayMs);
      metrics.errors.inc({ operation: error.operation, kind: error.code });
      metrics.retryBackoffSeconds.set(delayMs / 1000);
      health.reconciled({ ok: false, reason: error.message });
      const fields = { ...failureFields(error), failures: this.failures, retryInMs: delayMs };
      const message = `reconcile failed, nothing changed; retrying in ${delayMs} ms`;
      if (error.transient) logger.warn(fields, message);
      else logger.error(fields, message);
      return delayMs;
    }
  }
}
