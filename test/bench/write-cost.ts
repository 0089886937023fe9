import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/db/database.js';

/** What writing a strategy's rows cost PostgreSQL, per row written. */
export interface WriteCost {
  /** WAL the server generated while the strategy ran (the bench runs nothing else on it meanwhile). */
  walBytesPerRow: number;
  /** Statement execution time in this database by pg_stat_statements; null when the module is not loaded. */
  executionMsPerRow: number | null;
}

/** Whether the server preloads pg_stat_statements, which `shared_preload_libraries` must name. */
export async function statementStatsLoaded(db: Kysely<Database>): Promise<boolean> {
  const { rows } = await sql<{ libraries: string }>`SELECT current_setting('shared_preload_libraries') AS libraries`.execute(db);
  return (rows[0]?.libraries ?? '').split(',').some((library) => library.trim() === 'pg_stat_statements');
}

async function walInsertLsn(db: Kysely<Database>): Promise<string> {
  const { rows } = await sql<{ lsn: string }>`SELECT pg_current_wal_insert_lsn()::text AS lsn`.execute(db);
  return rows[0]?.lsn ?? '0/0';
}

async function executionMs(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ ms: number | null }>`
    SELECT sum(total_exec_time)::float8 AS ms FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`.execute(db);
  return rows[0]?.ms ?? 0;
}

/**
 * Runs `write` in the fresh database `db` and measures its cost: WAL bytes from the insert position
 * before and after, and (with `statementStats`) the execution time pg_stat_statements recorded for the
 * database's statements, which excludes the network and the client.
 */
export async function measureWriteCost(
  db: Kysely<Database>,
  statementStats: boolean,
  write: () => Promise<void>,
  rowCount: () => Promise<number>,
): Promise<WriteCost & { rows: number; seconds: number }> {
  if (statementStats) {
    await sql`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`.execute(db);
    await sql`SELECT pg_stat_statements_reset()`.execute(db);
  }
  const walBefore = await walInsertLsn(db);
  const started = performance.now();
  await write();
  const seconds = (performance.now() - started) / 1000;
  const walAfter = await walInsertLsn(db);
  const executed = statementStats ? await executionMs(db) : null;
  const rows = await rowCount();
  const { rows: wal } = await sql<{ bytes: string }>`SELECT pg_wal_lsn_diff(${walAfter}::pg_lsn, ${walBefore}::pg_lsn)::text AS bytes`.execute(db);
  return { rows, seconds, walBytesPerRow: Number(wal[0]?.bytes) / rows, executionMsPerRow: executed === null ? null : executed / rows };
}
