import pg from 'pg';
import type { AppConfig } from '../config/config-schema.js';
import { describeError } from '../process/describe-error.js';
import { connectionConfig } from './create-database.js';

/** Whether the migration can make todo_event_logs a hypertable, and if not, why. */
export type TimescaledbVerdict =
  | { usable: true }
  | { usable: false; available: boolean; reason: string };

function hintOf(error: unknown): string {
  const hint = typeof error === 'object' && error !== null && 'hint' in error ? error.hint : undefined;
  return typeof hint === 'string' && hint !== '' ? ` (${hint})` : '';
}

/**
 * Makes sure the timescaledb extension exists in the database, if it can: listed in
 * pg_available_extensions is not enough, so it runs `CREATE EXTENSION timescaledb` on a connection of
 * its own, because TimescaleDB installed but missing from shared_preload_libraries ends the session with
 * a FATAL, which must not hit the migration's connections. A created extension is kept (not rolled
 * back): a backend that has loaded the library once cannot create the extension again.
 */
export async function probeTimescaledb(config: AppConfig['database']): Promise<TimescaledbVerdict> {
  const client = new pg.Client(connectionConfig(config, 'todo-history-migrate'));
  // The session may end with a FATAL on purpose; the query that caused it reports why.
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rows } = await client.query<{ installed: boolean }>(
      "SELECT installed_version IS NOT NULL AS installed FROM pg_available_extensions WHERE name = 'timescaledb'",
    );
    const extension = rows[0];
    if (extension === undefined) return { usable: false, available: false, reason: 'the timescaledb extension is not installed on the server' };
    if (extension.installed) return { usable: true };
    try {
      await client.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
      return { usable: true };
    } catch (error) {
      return { usable: false, available: true, reason: `timescaledb is installed on the server but CREATE EXTENSION fails: ${describeError(error)}${hintOf(error)}` };
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}
