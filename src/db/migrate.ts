import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileMigrationProvider, Migrator, sql, type Kysely, type MigrationResultSet } from 'kysely';

/** Compiled migrations sit at dist/migrations, two levels above this module (dist/src/db). */
const migrationFolder = fileURLToPath(new URL('../../migrations', import.meta.url));

export type MigrateCommand = 'latest' | 'up' | 'down';

export function createMigrator<DB>(db: Kysely<DB>): Migrator {
  return new Migrator({ db, provider: new FileMigrationProvider({ fs, path, migrationFolder }) });
}

/** Runs pending migrations (or one step); Kysely's lock table makes concurrent runs wait for each other. */
export async function migrate<DB>(db: Kysely<DB>, command: MigrateCommand): Promise<MigrationResultSet> {
  const migrator = createMigrator(db);
  switch (command) {
    case 'latest':
      return migrator.migrateToLatest();
    case 'up':
      return migrator.migrateUp();
    case 'down':
      return migrator.migrateDown();
  }
}

/** Whether `todo_event_logs` is a TimescaleDB hypertable (false on plain PostgreSQL). */
export async function isHypertable<DB>(db: Kysely<DB>): Promise<boolean> {
  const timescale = await sql<{ installed: boolean }>`
    SELECT to_regclass('timescaledb_information.hypertables') IS NOT NULL AS installed`.execute(db);
  if (timescale.rows[0]?.installed !== true) return false;
  const { rows } = await sql<{ found: boolean }>`
    SELECT EXISTS (
      SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = 'todo_event_logs'
    ) AS found`.execute(db);
  return rows[0]?.found === true;
}
