import type { Logger } from 'pino';

/** Resumes one partition; kafkajs' `consumer.resume`, which throws while its consumer group restarts. */
export type ResumePartition = (topic: string, partition: number) => void;

/**
 * The timers that resume paused partitions after their backoff. A resume that throws (kafkajs has no
 * consumer group while it restarts after a crash) is tried again after the same delay instead of
 * escaping the timer and ending the process; the restarted group begins unpaused from the committed
 * offset, so a late resume is harmless. After `stop()` no timer runs and none can be added.
 */
export class PartitionResumer {
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly resume: ResumePartition,
    private readonly logger: Logger,
  ) {}

  after(topic: string, partition: number, delayMs: number): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      try {
        this.resume(topic, partition);
      } catch (error) {
        this.logger.warn({ topic, partition, reason: error instanceof Error ? error.message : String(error) }, 'cannot resume the partition yet; trying again');
        this.after(topic, partition, delayMs);
      }
    }, delayMs);
    this.timers.add(timer);
  }

  /** How many resumes are waiting. */
  pending(): number {
    return this.timers.size;
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
