import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Admin, Producer } from 'kafkajs';
import { sql } from 'kysely';
import type { TestDatabase } from '../support/test-database.js';
import { ConsumerReplicas, waitForCommitted } from './consumer-run.js';
import { percentile } from './percentile.js';
import { produceStamped, rowLatencyMs } from './stamped-stream.js';

/** Produce-to-row latency of the rows whose events were produced in one stretch of a run, in ms. */
export interface LatencyStretch {
  p50: number;
  p99: number;
  max: number;
  samples: number;
}

export interface RolloutFigures {
  scenario: string;
  targetPerSecond: number;
  achievedPerSecond: number;
  /** Before the first replica changes. */
  steady: LatencyStretch;
  /** From the first replica change until one step after the last. */
  rollout: LatencyStretch;
  /** The longest time the group committed no batch at all while events arrived, and the longest any one partition did. */
  longestWithoutCommitMs: { group: number; partition: number };
  rows: number;
  /** Every replica's output, for where the time went. */
  consumerLog: string;
}

/** A change of the replica set: `add` replicas start, then the `retire` oldest get SIGTERM. */
interface ReplicaChange {
  add: number;
  retire: number;
}

/** How a Deployment changes the replicas, one change per step. */
export interface RolloutScenario {
  name: string;
  replicas: number;
  changes: ReplicaChange[];
}

/**
 * A rolling update as a Deployment with maxSurge 1 and maxUnavailable 0 makes it: a new pod, and once
 * it is ready (a step later) the oldest gets SIGTERM while the next new one starts.
 */
export function rollingRestart(replicas: number): RolloutScenario {
  const changes: ReplicaChange[] = [{ add: 1, retire: 0 }];
  for (let i = 1; i < replicas; i += 1) changes.push({ add: 1, retire: 1 });
  changes.push({ add: 0, retire: 1 });
  return { name: `rolling restart of ${replicas}`, replicas, changes };
}

/** Scaling from `from` to `to` replicas and back, one step apart and three steps at `to`. */
export function scaleUpAndDown(from: number, to: number): RolloutScenario {
  return { name: `scaling ${from} → ${to} → ${from}`, replicas: from, changes: [{ add: to - from, retire: 0 }, { add: 0, retire: 0 }, { add: 0, retire: 0 }, { add: 0, retire: to - from }] };
}

export interface RolloutPhase {
  admin: Admin;
  producer: Producer;
  database: TestDatabase;
  createTopics(topic: string): Promise<void>;
  consumerEnv(topic: string, groupId: string): Record<string, string>;
}

function stretch(latencyMs: number[]): LatencyStretch {
  return { p50: percentile(latencyMs, 0.5), p99: percentile(latencyMs, 0.99), max: latencyMs.length === 0 ? Number.NaN : Math.max(...latencyMs), samples: latencyMs.length };
}

function longestGap(sortedMs: readonly number[]): number {
  let longest = 0;
  for (let i = 1; i < sortedMs.length; i += 1) longest = Math.max(longest, (sortedMs[i] as number) - (sortedMs[i - 1] as number));
  return longest;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once the group is stable with `members` members, so the steady stretch has no rebalance of the start in it. */
async function waitForStableGroup(admin: Admin, groupId: string, members: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { groups } = await admin.describeGroups([groupId]);
    if (groups[0]?.state === 'Stable' && groups[0].members.length === members) return;
    await pause(100);
  }
  throw new Error(`group ${groupId} did not become stable with ${members} members within ${timeoutMs} ms`);
}

/**
 * Replicas of the consumer store events arriving at `rate` while `scenario` changes them, `stepSeconds`
 * apart after `steadySeconds` of steady state, with two steps more at the end. Latency is each row's
 * commit timestamp minus its event's stamp, split by when the event was produced; every event must be
 * stored exactly once.
 */
export async function measureRollout(phase: RolloutPhase, scenario: RolloutScenario, rate: number, steadySeconds: number, stepSeconds: number): Promise<RolloutFigures> {
  const { admin, producer, database } = phase;
  const topic = `bench-rollout-${randomUUID()}`;
  await phase.createTopics(topic);
  const groupId = `bench-rollout-${randomUUID()}`;
  const replicas = await ConsumerReplicas.start(scenario.replicas, phase.consumerEnv(topic, groupId));
  const consumerLog = path.join(tmpdir(), `${topic}.log`);
  try {
    await producer.send({ topic, messages: [{ value: 'warm-up' }] });
    await waitForCommitted(admin, groupId, topic, 1, 60_000);
    await waitForStableGroup(admin, groupId, scenario.replicas, 120_000);
    const seconds = steadySeconds + (scenario.changes.length + 1) * stepSeconds;
    const startedAt = Date.now();
    const producing = produceStamped(producer, topic, rate, seconds);
    const firstChangeAt = startedAt + steadySeconds * 1000;
    const retirements: Promise<(number | null)[]>[] = [];
    for (const [index, change] of scenario.changes.entries()) {
      await pause(firstChangeAt + index * stepSeconds * 1000 - Date.now());
      retirements.push(replicas.retireOldest(change.retire));
      for (let i = 0; i < change.add; i += 1) await replicas.add();
    }
    const rolloutEndsAt = firstChangeAt + scenario.changes.length * stepSeconds * 1000;
    const { produced, achievedPerSecond } = await producing;
    const exits = (await Promise.all(retirements)).flat();
    if (exits.some((code) => code !== 0)) throw new Error(`a retired replica exited with ${exits.join(', ')}:\n${replicas.output().slice(-3_000)}`);
    await waitForCommitted(admin, groupId, topic, produced + 1, 300_000);
    const { rows } = await sql<{ partition: number; producedAt: number; committedAt: number; ms: number }>`
      SELECT kafka_partition AS partition, (event_data->'payload'->>'producedAt')::float8 AS "producedAt",
        (extract(epoch FROM pg_xact_commit_timestamp(xmin)) * 1000)::float8 AS "committedAt", (${sql.raw(rowLatencyMs)})::float8 AS ms
      FROM todo_event_logs WHERE event_data->'payload' ? 'producedAt'`.execute(database.db);
    if (rows.length !== produced) throw new Error(`${scenario.name}: ${rows.length} rows stored for ${produced} events produced`);
    const commitTimes = (filter: (row: (typeof rows)[number]) => boolean): number[] => [...new Set(rows.filter(filter).map((row) => row.committedAt))].sort((a, b) => a - b);
    const partitions = [...new Set(rows.map((row) => row.partition))];
    return {
      scenario: scenario.name,
      targetPerSecond: rate,
      achievedPerSecond,
      steady: stretch(rows.filter((row) => row.producedAt < firstChangeAt).map((row) => row.ms)),
      rollout: stretch(rows.filter((row) => row.producedAt >= firstChangeAt && row.producedAt < rolloutEndsAt).map((row) => row.ms)),
      longestWithoutCommitMs: {
        group: longestGap(commitTimes(() => true)),
        partition: Math.max(0, ...partitions.map((partition) => longestGap(commitTimes((row) => row.partition === partition)))),
      },
      rows: rows.length,
      consumerLog,
    };
  } finally {
    await replicas.stop();
    writeFileSync(consumerLog, replicas.output());
  }
}
