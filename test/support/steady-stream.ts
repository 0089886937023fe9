import { setTimeout as sleep } from 'node:timers/promises';
import type { Message } from 'kafkajs';

/**
 * Produces `messageAt(0)`, `messageAt(1)`, … in sends of `perSend`, one send after another with a
 * pause between them, until stopped: a stream that goes on while a test breaks things under it. A send
 * that fails (its producer's bounded retries exhausted) ends the stream, and `stop` rethrows it.
 */
export class SteadyStream {
  private produced = 0;
  private stopping = false;
  private readonly running: Promise<void>;

  constructor(
    private readonly send: (messages: Message[]) => Promise<void>,
    private readonly messageAt: (index: number) => Message,
    { perSend = 20, pauseMs = 100 }: { perSend?: number; pauseMs?: number } = {},
  ) {
    this.running = this.run(perSend, pauseMs);
    // Its failure is reported by stop(); until then it must not count as an unhandled rejection.
    this.running.catch(() => undefined);
  }

  /** How many messages were acknowledged so far. */
  get count(): number {
    return this.produced;
  }

  /** Ends the stream after the send in flight; resolves with the number of messages produced. */
  async stop(): Promise<number> {
    this.stopping = true;
    await this.running;
    return this.produced;
  }

  private async run(perSend: number, pauseMs: number): Promise<void> {
    while (!this.stopping) {
      const messages = Array.from({ length: perSend }, (_, i) => this.messageAt(this.produced + i));
      await this.send(messages);
      this.produced += messages.length;
      await sleep(pauseMs);
    }
  }
}
