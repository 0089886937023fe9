import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/config-schema.js';
import { createDatabase } from '../db/create-database.js';
import type { Database } from '../db/database.js';
import { createMigrator, isHypertable, migrate, type MigrateCommand } from '../db/migrate.js';
import { currentSchemaVersion, expectedSchemaVersion } from '../db/schema-version.js';
import { exitCodes } from './exit-codes.js';

export const migrateActions = ['latest', 'up', 'down', 'status', 'check'] as const;
export type MigrateAction = (typeof migrateActions)[number];

/** Prints where the schema is; with `check`, also fails unless it is at the version this build expects. */
async function printStatus(db: Kysely<Database>, action: 'status' | 'check', logger: Logger): Promise<number> {
  const migrations = await createMigrator(db).getMigrations();
  const status = {
    current: await currentSchemaVersion(db),
    expected: expectedSchemaVersion,
    hypertable: await isHypertable(db),
    migrations: migrations.map((m) => ({ name: m.name, executedAt: m.executedAt?.toISOString() ?? null })),
  };
  process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
  if (action === 'check' && status.current !== status.expected) {
    logger.error({ current: status.current, expected: status.expected }, `schema is at ${status.current ?? 'no migration'} but this build expects ${status.expected}`);
    return exitCodes.failure;
  }
  return exitCodes.ok;
}

async function runMigrations(db: Kysely<Database>, command: MigrateCommand, logger: Logger): Promise<number> {
  const { error, results = [] } = await migrate(db, command);
  for (const result of results) {
    const log = result.status === 'Error' ? logger.error.bind(logger) : logger.info.bind(logger);
    log({ migration: result.migrationName, direction: result.direction, status: result.status }, 'migration');
  }
  if (error !== undefined) {
    logger.error({ err: error }, 'migration failed');
    return exitCodes.failure;
  }
  const hypertable = await isHypertable(db);
  logger.info(
    { schemaVersion: await currentSchemaVersion(db), hypertable },
    hypertable
      ? 'schema migrated; todo_event_logs is a TimescaleDB hypertable'
      : 'schema migrated; timescaledb is not installed, so hypertable features are off',
  );
  return exitCodes.ok;
}

/**
 * `migrate latest|up|down`: the only code path that changes the schema (the Helm hook Job runs it).
 * `migrate status` shows it; `migrate check` also exits 1 unless it is at this build's version.
 */
export async function migrateCommand(action: MigrateAction, config: AppConfig, logger: Logger): Promise<number> {
  const db = createDatabase(config.database, logger, { applicationName: 'todo-history-migrate' });
  try {
    if (action === 'status' || action === 'check') return await printStatus(db, action, logger);
    return await runMigrations(db, action, logger);
  } catch (error) {
    logger.error({ err: error }, 'migrate failed');
    return exitCodes.failure;
  } finally {
    await db.destroy();
  }
}
