import { performance } from 'node:perf_hooks';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { goInsert } from './go-table.js';

/** One INSERT of the writer: when it was sent and when it returned, on `performance.now()`'s clock. */
export interface TimedWrite {
  entityId: string;
  startMs: number;
  endMs: number;
}

/**
 * The Go service still running while `migrate` adopts its table: one connection inserting one row per
 * statement (its `InsertLog`), back to back, each write timed. `stop()` ends the loop after the write in
 * flight and returns every write, all of which succeeded (a failed write ends the loop with its error).
 */
export class GoWriter {
  private readonly writes: TimedWrite[] = [];
  private stopped = false;
  private readonly db: Kysely<unknown>;
  private readonly loop: Promise<void>;

  constructor(url: string, private readonly name: string) {
    this.db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }) });
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const entityId = `${this.name}-${this.writes.length}`;
      const startMs = performance.now();
      await goInsert(entityId, `g-${this.writes.length % 1000}`).execute(this.db);
      this.writes.push({ entityId, startMs, endMs: performance.now() });
    }
  }

  /** The writes so far (the loop keeps going). */
  get completed(): readonly TimedWrite[] {
    return this.writes;
  }

  async stop(): Promise<TimedWrite[]> {
    this.stopped = true;
    try {
      await this.loop;
    } finally {
      await this.db.destroy();
    }
    return this.writes;
  }
}
