import { randomUUID } from 'node:crypto';
import type { Admin, Message, Producer } from 'kafkajs';
import { sql } from 'kysely';
import type { TestDatabase } from '../support/test-database.js';
import { benchEvents } from './bench-events.js';
import { ConsumerReplicas, waitForCommitted } from './consumer-run.js';
import { percentile } from './percentile.js';

export interface LatencyFigures {
  /** The rate asked for and the rate the producer reached: valid events acknowledged by the broker per second of the phase. */
  targetPerSecond: number;
  achievedPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  samples: number;
}

export interface LatencyPhase {
  admin: Admin;
  producer: Producer;
  database: TestDatabase;
  createTopics(topic: string): Promise<void>;
  consumerEnv(topic: string, groupId: string): Record<string, string>;
}

const tickMs = 10;
/** About 420 kB per partition: one record batch per partition stays under the broker's 1 MB limit. */
const maxPerSend = 5_000;
const producedAtField = '"payload":{';

/**
 * One consumer while events arrive at a steady `rate` for `seconds`: every 10 ms the due events are
 * stamped with the time (`payload.producedAt`) and queued for the sender; latency is each row's commit
 * timestamp minus that stamp, so it includes any wait in the producer. Stamping is a string splice into
 * the generated value (not a parse and re-serialisation), so the bench's own work stays small at 10,000/s.
 */
export async function measureLatency(phase: LatencyPhase, rate: number, seconds: number): Promise<LatencyFigures> {
  const { admin, producer, database } = phase;
  const topic = `bench-latency-${randomUUID()}`;
  await phase.createTopics(topic);
  const groupId = `bench-latency-${randomUUID()}`;
  const consumer = await ConsumerReplicas.start(1, phase.consumerEnv(topic, groupId));
  try {
    await producer.send({ topic, messages: [{ value: 'warm-up' }] });
    await waitForCommitted(admin, groupId, topic, 1, 60_000);
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
    const achievedPerSecond = produced / ((Date.now() - startedAt) / 1000);
    await waitForCommitted(admin, groupId, topic, produced + 1, 300_000);
    const { rows } = await sql<{ ms: number }>`
      SELECT (extract(epoch FROM pg_xact_commit_timestamp(xmin)) * 1000 - (event_data->'payload'->>'producedAt')::float8)::float8 AS ms
      FROM todo_event_logs`.execute(database.db);
    const latencyMs = rows.map((r) => r.ms);
    return {
      targetPerSecond: rate,
      achievedPerSecond,
      p50: percentile(latencyMs, 0.5),
      p95: percentile(latencyMs, 0.95),
      p99: percentile(latencyMs, 0.99),
      samples: latencyMs.length,
    };
  } finally {
    await consumer.stop();
  }
}
