import { sql, type Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely/migration';
import { forgetLevel, levelRecorded, recordLevel } from './compatibility-table.js';
import { withMigrateGate } from './migrate-gate.js';
import { loadBuildMigrations, type CatalogedMigration } from './migration-catalog.js';
import { schemaStanding, type SchemaStanding } from './schema-version.js';

export type MigrateCommand = 'latest' | 'up' | 'down';

/**
 * Going up, each migration in its own transaction with its level, unless it declares it runs outside one.
 * Kysely records it as executed right after, outside that transaction: a migration whose level is already
 * recorded committed before the process stopped, and is not run again. Going down (one step, `migrate
 * down`), Kysely's transaction holds the migration, its level and Kysely's record together.
 */
function levelRecordingProvider(migrations: readonly CatalogedMigration[]): MigrationProvider {
  const up = async (migration: CatalogedMigration, db: Kysely<unknown>): Promise<void> => {
    if (await levelRecorded(db, migration.name)) return;
    await migration.up(db);
    await recordLevel(db, migration.name, migration.compatibilityLevel);
  };
  return {
    getMigrations: () =>
      Promise.resolve(
        Object.fromEntries(
          migrations.map((migration): [string, Migration] => [
            migration.name,
            {
              up: async (db: Kysely<unknown>) => {
                if (migration.runsInTransaction === false) await up(migration, db);
                else await db.transaction().execute((trx) => up(migration, trx));
              },
              down: async (db: Kysely<unknown>) => {
                await migration.down(db);
                await forgetLevel(db, migration.name);
              },
            },
          ]),
        ),
      ),
  };
}

/**
 * Unordered: a migration merged from a parallel branch, named before one that already ran, still runs.
 * The order that matters is the compatibility level, which every migration declares. Kysely's lock
 * (a session advisory lock) is held for the whole run either way.
 */
export function createMigrator<DB>(db: Kysely<DB>, migrations: readonly CatalogedMigration[]): Migrator {
  return new Migrator({ db, provider: levelRecordingProvider(migrations), allowUnorderedMigrations: true });
}

/**
 * Up without Kysely's one transaction around every pending migration, which would hold each one's locks
 * (a table rewrite's, an index build's) until the last one commits, while the consumer's writes wait.
 */
const eachInItsOwnTransaction = { disableTransactions: true } as const;

/** The outcome of a migrate command: Kysely's results, or why nothing was run. */
export type MigrateOutcome =
  | { kind: 'ran'; result: MigrationResultSet }
  | { kind: 'ahead'; standing: SchemaStanding }
  | { kind: 'refused'; reason: string; standing: SchemaStanding };

/**
 * Runs pending migrations (or one step); the migrate gate and Kysely's lock make concurrent runs wait for
 * each other.
 * A database that a newer build migrated further is checked first, because Kysely refuses to work with
 * executed migrations it does not know: going forward there is nothing to do (`ahead`), unless this
 * build cannot run on it or still lacks one of its own; going down is for the build that has them.
 */
export async function migrate<DB>(db: Kysely<DB>, command: MigrateCommand, migrations?: readonly CatalogedMigration[]): Promise<MigrateOutcome> {
  const build = migrations ?? (await loadBuildMigrations());
  const standing = await schemaStanding(db, build);
  if (standing.ahead.length > 0) {
    if (command === 'down') {
      return { kind: 'refused', standing, reason: `the last migrations (${standing.ahead.join(', ')}) are not in this build: run \`migrate down\` with the image that has them` };
    }
    if (standing.pending.length > 0) {
      return { kind: 'refused', standing, reason: `schema has migrations this build does not know (${standing.ahead.join(', ')}) and lacks some of its own (${standing.pending.join(', ')})` };
    }
    if (!standing.compatible) return { kind: 'refused', standing, reason: standing.reason };
    return { kind: 'ahead', standing };
  }
  const result = await withMigrateGate(db, (connection) => {
    const migrator = createMigrator(connection, build);
    switch (command) {
      case 'latest':
        return migrator.migrateToLatest(eachInItsOwnTransaction);
      case 'up':
        return migrator.migrateUp(eachInItsOwnTransaction);
      case 'down':
        return migrator.migrateDown();
    }
  });
  return { kind: 'ran', result };
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
