import { sql } from 'kysely';
import type { TestDatabase } from '../../support/test-database.js';

/** Produce-to-row latency of the events produced in a stretch, in ms. */
export interface LatencyFigures {
  readonly p99: number;
  readonly max: number;
  readonly events: number;
}

export interface RolloutFigures {
  readonly steady: LatencyFigures;
  readonly rollout: LatencyFigures;
  /** The longest time between two commits that stored rows, for commits within the rollout. */
  readonly longestCommitGapMs: number;
}

const committedAtMs = sql`(extract(epoch FROM pg_xact_commit_timestamp(xmin)) * 1000)::float8`;
const producedAtMs = sql`(event_data->'payload'->>'producedAt')::float8`;

async function latency(database: TestDatabase, from: number, to: number): Promise<LatencyFigures> {
  const { rows } = await sql<{ p99: number | null; max: number | null; events: string }>`
    SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY ${committedAtMs} - ${producedAtMs}) AS p99,
      max(${committedAtMs} - ${producedAtMs}) AS max, count(*) AS events
    FROM todo_event_logs WHERE ${producedAtMs} >= ${from} AND ${producedAtMs} < ${to}`.execute(database.db);
  return { p99: rows[0]?.p99 ?? Number.NaN, max: rows[0]?.max ?? Number.NaN, events: Number(rows[0]?.events ?? 0) };
}

/**
 * Figures of a run whose events carry `payload.producedAt` (see steady-stream.ts), from each row's commit
 * timestamp: the server needs track_commit_timestamp on.
 */
export async function rolloutFigures(database: TestDatabase, streamStart: number, rolloutStart: number, rolloutEnd: number): Promise<RolloutFigures> {
  const { rows } = await sql<{ gap: number | null }>`
    SELECT max(gap) AS gap FROM (
      SELECT at, at - lag(at) OVER (ORDER BY at) AS gap
      FROM (SELECT DISTINCT ${committedAtMs} AS at FROM todo_event_logs) AS commits
    ) AS gaps WHERE at >= ${rolloutStart} AND at <= ${rolloutEnd}`.execute(database.db);
  return {
    steady: await latency(database, streamStart, rolloutStart),
    rollout: await latency(database, rolloutStart, rolloutEnd),
    longestCommitGapMs: rows[0]?.gap ?? Number.NaN,
  };
}
