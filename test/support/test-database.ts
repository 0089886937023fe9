import { randomUUID } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';

/** A database of its own for one test file, on the server DATABASE_URL points at. */
export interface TestDatabase {
  url: string;
  db: Kysely<Database>;
  rowCount(): Promise<number>;
  drop(): Promise<void>;
}

export function serverUrl(): string {
  const url = process.env.DATABASE_URL;
  if (url === undefined) throw new Error('DATABASE_URL is not set: run the tests with `npm test`, which starts PostgreSQL');
  return url;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function onServer<T>(server: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabase(server, 'postgres') });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates an empty database on `server` (default: DATABASE_URL's server); `migrated` (the default) also
 * runs every migration in it.
 */
export async function createTestDatabase({ migrated = true, server = serverUrl() }: { migrated?: boolean; server?: string } = {}): Promise<TestDatabase> {
  const name = `test_${randomUUID().replaceAll('-', '')}`;
  await onServer(server, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = withDatabase(server, name);
  const pool = new pg.Pool({ connectionString: url, max: 3 });
  // Fault tests stop the server under this pool; its idle connections die then, and the next query reconnects.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  if (migrated) {
    const outcome = await migrate(db, 'latest');
    if (outcome.kind !== 'ran') throw new Error(`migrate latest did not run: ${outcome.kind}`);
    if (outcome.result.error !== undefined) throw outcome.result.error;
  }
  return {
    url,
    db,
    async rowCount() {
      const { rows } = await sql<{ count: string }>`SELECT count(*) AS count FROM todo_event_logs`.execute(db);
      return Number(rows[0]?.count);
    },
    async drop() {
      await db.destroy();
      await onServer(server, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
