import { randomUUID } from 'node:crypto';
import type { Admin, Producer } from 'kafkajs';
import { sql } from 'kysely';
import type { TestDatabase } from '../support/test-database.js';
import { ConsumerReplicas, waitForCommitted } from './consumer-run.js';
import { percentile } from './percentile.js';
import { produceStamped, rowLatencyMs } from './stamped-stream.js';

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

/**
 * One consumer while events arrive at a steady `rate` for `seconds` (produceStamped); latency is each
 * row's commit timestamp minus the event's stamp.
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
    const { produced, achievedPerSecond } = await produceStamped(producer, topic, rate, seconds);
    await waitForCommitted(admin, groupId, topic, produced + 1, 300_000);
    const { rows } = await sql<{ ms: number }>`
      SELECT (${sql.raw(rowLatencyMs)})::float8 AS ms FROM todo_event_logs`.execute(database.db);
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
