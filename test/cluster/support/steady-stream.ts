import { setTimeout as sleep } from 'node:timers/promises';
import type { Message } from 'kafkajs';
import { todoEvent } from '../../support/todo-event-stream.js';
import type { TestTopics } from '../../support/test-topics.js';

const TICK_MS = 100;
const PAYLOAD = '"payload":{';

/** A stream being produced; `produced` grows as sends succeed. */
export interface SteadyStream {
  readonly produced: number;
  /** When the last send completed (the test's clock, ms). */
  readonly lastSentAt: number;
  /** Ends the stream after the send in flight; resolves with the number of events produced. */
  stop(): Promise<number>;
}

/**
 * The `sequence`-th todo event, its payload stamped with that sequence (a unique id) and the time it was
 * produced: both land in the row's event_data, for a count by id and the produce-to-row latency.
 */
export function stampedEvent(sequence: number, runId: string, producedAt: number): Message {
  const event = todoEvent(sequence, runId);
  return { key: event.key ?? null, value: String(event.value).replace(PAYLOAD, `${PAYLOAD}"sequence":${sequence},"producedAt":${producedAt},`) };
}

/**
 * Produces `perSecond` events a second, sent every 100 ms, until stopped or `maxEvents` are out. A send
 * that falls behind is caught up by the next one, so the rate holds on average.
 */
export function startSteadyStream(topics: TestTopics, runId: string, perSecond: number, maxEvents: number): SteadyStream {
  let produced = 0;
  let lastSentAt = Date.now();
  let running = true;
  const startedAt = Date.now();
  const loop = (async () => {
    while (running && produced < maxEvents) {
      const due = Math.min(maxEvents, Math.floor(((Date.now() - startedAt) * perSecond) / 1000)) - produced;
      if (due > 0) {
        const now = Date.now();
        await topics.produce(Array.from({ length: due }, (_, i) => stampedEvent(produced + i, runId, now)));
        produced += due;
        lastSentAt = Date.now();
      }
      await sleep(TICK_MS);
    }
  })();
  loop.catch(() => undefined); // awaited by stop(); this only keeps an early failure from counting as unhandled
  return {
    get produced() {
      return produced;
    },
    get lastSentAt() {
      return lastSentAt;
    },
    stop: async () => {
      running = false;
      await loop;
      return produced;
    },
  };
}
