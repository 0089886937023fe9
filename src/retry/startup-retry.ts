import type { Logger } from 'pino';
import { Pause } from '../async/pause.js';
import type { RetryConfig } from '../config/config-schema.js';
import { describeError } from '../process/describe-error.js';
import { backoffDelay } from './retry-backoff.js';

/** One thing a service needs before it runs, e.g. "the database answers with the right schema". */
export interface StartupStep {
  /** What it reaches, for the reason: `database`, `kafka`. */
  name: string;
  run(): Promise<void>;
}

/** An error its thrower marked as one no retry and no restart can fix (a wrong schema, a missing topic). */
function isPermanent(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'retryable' in error && error.retryable === false;
}

/**
 * Starts a service whose dependencies may not answer yet: runs the steps in order until all succeed,
 * waiting between tries with the backoff of a failed batch (`RETRY_INITIAL_DELAY_MS`, doubling to
 * `RETRY_MAX_DELAY_MS`). Meanwhile `waitingFor()` says why it is not running, for /readyz.
 */
export class StartupRetry {
  private readonly pause = new Pause();
  private reason: string | undefined = 'starting';

  constructor(
    private readonly retry: RetryConfig,
    private readonly logger: Logger,
  ) {}

  /** Why the service is not running yet; undefined once it runs. */
  waitingFor(): string | undefined {
    return this.reason;
  }

  /**
   * Resolves true once every step succeeded, false when stopped before.
   * @throws the first error marked `retryable: false`.
   */
  async run(steps: readonly StartupStep[]): Promise<boolean> {
    for (let failures = 1; !this.pause.isClosed; failures += 1) {
      const failure = await this.tryOnce(steps);
      if (this.pause.isClosed) return false;
      if (failure === undefined) {
        this.reason = undefined;
        return true;
      }
      if (isPermanent(failure.error)) throw failure.error;
      const retryInMs = backoffDelay(failures, this.retry.initialDelayMs, this.retry.maxDelayMs);
      const reason = describeError(failure.error);
      this.reason = `${failure.step}: ${reason}; retrying in ${retryInMs} ms`;
      this.logger.warn({ step: failure.step, reason, failures, retryInMs }, `cannot start yet: ${this.reason}`);
      await this.pause.for(retryInMs);
    }
    return false;
  }

  /** Ends the waiting: `run` resolves false instead of trying again. */
  stop(): void {
    this.pause.close();
  }

  private async tryOnce(steps: readonly StartupStep[]): Promise<{ step: string; error: unknown } | undefined> {
    for (const step of steps) {
      if (this.pause.isClosed) return undefined;
      try {
        await step.run();
      } catch (error) {
        return { step: step.name, error };
      }
    }
    return undefined;
  }
}
