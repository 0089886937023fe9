import type { Message, Producer } from 'kafkajs';
import { benchEvents } from './bench-events.js';

const tickMs = 10;
/** About 420 kB per partition: one record batch per partition stays under the broker's 1 MB limit. */
const maxPerSend = 5_000;
const producedAtField = '"payload":{';

/** The SQL expression of a row's produce-to-row latency in ms: its commit timestamp minus its stamp. */
export const rowLatencyMs = `extract(epoch FROM pg_xact_commit_timestamp(xmin)) * 1000 - (event_data->'payload'->>'producedAt')::float8`;

/**
 * Produces valid benchmark events into `topic` at a steady `rate` for `seconds`: every 10 ms the due
 * events are stamped with the time (`payload.producedAt`) and queued for the sender, so latency measured
 * from the stamp includes any wait in the producer. Stamping is a string splice into the generated value
 * (not a parse and re-serialisation), so the bench's own work stays small at 10,000/s. Resolves with the
 * number of events produced and the rate reached.
 */
export async function produceStamped(producer: Producer, topic: string, rate: number, seconds: number): Promise<{ produced: number; achievedPerSecond: number }> {
  const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
  const ticks = Math.round((seconds * 1000) / tickMs);
  const stream = benchEvents(ticks * perTick, 7);
  const due: Message[] = [];
  let generating = true;
  // One send at a time (the producer is idempotent, one request in flight) of everything due so far, up
  // to maxPerSend: when the broker answers slowly the sends grow instead of queueing behind each other.
  const sender = (async () => {
    while (generating || due.length > 0) {
      if (due.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      else await producer.send({ topic, messages: due.splice(0, maxPerSend) });
    }
  })();
  sender.catch(() => undefined); // awaited below; this only keeps an early failure from counting as unhandled
  const startedAt = Date.now();
  let produced = 0;
  try {
    for (let tick = 0; tick < ticks; tick += 1) {
      const dueAt = startedAt + tick * tickMs;
      if (dueAt > Date.now()) await new Promise((resolve) => setTimeout(resolve, dueAt - Date.now()));
      const now = Date.now();
      for (let i = 0; i < perTick; i += 1) {
        const next = stream.next();
        if (next.done === true || !next.value.valid) continue;
        due.push({ key: next.value.key, value: String(next.value.value).replace(producedAtField, `${producedAtField}"producedAt":${now},`) });
        produced += 1;
      }
    }
  } finally {
    generating = false;
  }
  await sender;
  return { produced, achievedPerSecond: produced / ((Date.now() - startedAt) / 1000) };
}
