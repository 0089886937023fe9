import { setTimeout as sleep } from 'node:timers/promises';
import { sql, type Kysely } from 'kysely';

/** A session advisory lock key of this project's own (Kysely's migration lock uses another). */
const gateKey = '7431202612060001';
/** As long as Kysely's own wait for its migration lock. */
const defaultWaitMs = 3_600_000;
const pollMs = 250;

/** Another migrate held the gate for longer than this one would wait. */
export class MigrateGateTimeoutError extends Error {
  readonly code = 'migrate_gate_timeout';
  readonly retryable = true;

  constructor(waitedMs: number) {
    super(`another migrate has been running for over ${Math.round(waitedMs / 1000)} s: gave up waiting for it`);
    this.name = 'MigrateGateTimeoutError';
  }
}

/**
 * Runs `run` on one connection while holding the migrate gate, which a second migrate waits for by
 * polling. Kysely's migration lock is waited for inside one statement, and a statement that waits keeps its
 * snapshot open: a CREATE INDEX CONCURRENTLY of the migrate holding the lock waits for every open snapshot
 * to end, so the two would deadlock. Polling leaves no snapshot open between tries, and Kysely's lock,
 * taken under the gate, is then free.
 */
export async function withMigrateGate<DB, T>(db: Kysely<DB>, run: (connection: Kysely<DB>) => Promise<T>, waitMs = defaultWaitMs): Promise<T> {
  return db.connection().execute(async (connection) => {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const { rows } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_lock(${gateKey}::bigint) AS locked`.execute(connection);
      if (rows[0]?.locked === true) break;
      if (Date.now() >= deadline) throw new MigrateGateTimeoutError(waitMs);
      await sleep(pollMs);
    }
    try {
      return await run(connection);
    } finally {
      await sql`SELECT pg_advisory_unlock(${gateKey}::bigint)`.execute(connection);
    }
  });
}
