import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/config-schema.js';
import { createDatabase } from '../db/create-database.js';
import type { Database } from '../db/database.js';
import { isHypertable, migrate, type MigrateCommand } from '../db/migrate.js';
import { executedMigrations } from '../db/compatibility-table.js';
import { loadBuildMigrations } from '../db/migration-catalog.js';
import { schemaStanding } from '../db/schema-version.js';
import { exitCodes } from './exit-codes.js';

export const migrateActions = ['latest', 'up', 'down', 'status', 'check'] as const;
export type MigrateAction = (typeof migrateActions)[number];

/** Prints where the schema is; with `check`, also fails unless this build can run on it. */
async function printStatus(db: Kysely<Database>, action: 'status' | 'check', logger: Logger): Promise<number> {
  const build = await loadBuildMigrations();
  const executed = await executedMigrations(db);
  const standing = await schemaStanding(db, build);
  const names = [...new Set([...build.map((m) => m.name), ...executed.keys()])].sort();
  const status = {
    ...standing,
    hypertable: await isHypertable(db),
    migrations: names.map((name) => ({ name, inBuild: build.some((m) => m.name === name), executed: executed.has(name) })),
  };
  process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
  if (action === 'check' && !standing.compatible) {
    logger.error({ buildLevel: standing.buildLevel, schemaLevel: standing.schemaLevel, pending: standing.pending, ahead: standing.ahead }, standing.reason);
    return exitCodes.failure;
  }
  return exitCodes.ok;
}

async function runMigrations(db: Kysely<Database>, command: MigrateCommand, logger: Logger): Promise<number> {
  const outcome = await migrate(db, command);
  if (outcome.kind === 'refused') {
    logger.error({ ahead: outcome.standing.ahead, pending: outcome.standing.pending }, `migrate ${command} refused: ${outcome.reason}`);
    return exitCodes.failure;
  }
  if (outcome.kind === 'ahead') {
    const { ahead, schemaLevel, buildLevel } = outcome.standing;
    logger.info(
      { ahead, schemaLevel, buildLevel },
      `schema is ahead of this build (${ahead.join(', ')}) at compatibility level ${schemaLevel}, which this build (level ${buildLevel}) runs on: nothing to migrate`,
    );
    return exitCodes.ok;
  }
  const { error, results = [] } = outcome.result;
  for (const result of results) {
    const log = result.status === 'Error' ? logger.error.bind(logger) : logger.info.bind(logger);
    log({ migration: result.migrationName, direction: result.direction, status: result.status }, 'migration');
  }
  if (error !== undefined) {
    logger.error({ err: error }, 'migration failed');
    return exitCodes.failure;
  }
  const hypertable = await isHypertable(db);
  const { schemaLevel } = await schemaStanding(db);
  logger.info(
    { schemaLevel, hypertable },
    hypertable
      ? 'schema migrated; todo_event_logs is a TimescaleDB hypertable'
      : 'schema migrated; timescaledb is not installed, so hypertable features are off',
  );
  return exitCodes.ok;
}

/**
 * `migrate latest|up|down`: the only code path that changes the schema (the Helm hook Job runs it).
 * `migrate status` shows it; `migrate check` also exits 1 unless this build can run on it.
 */
export async function migrateCommand(action: MigrateAction, config: AppConfig, logger: Logger): Promise<number> {
  const db = createDatabase(config.database, logger, 'todo-history-migrate');
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
