import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/config-schema.js';
import { executedMigrations } from '../db/compatibility-table.js';
import { createDatabase } from '../db/create-database.js';
import type { Database } from '../db/database.js';
import { isHypertable, migrate, type MigrateCommand } from '../db/migrate.js';
import { loadBuildMigrations } from '../db/migration-catalog.js';
import { schemaStanding } from '../db/schema-version.js';
import { applyTimescaledbPolicies, type PolicyOutcome } from '../db/timescaledb-policies.js';
import { probeTimescaledb } from '../db/timescaledb-probe.js';
import { requestedPolicySettings } from '../config/timescaledb-policy-problems.js';
import { failureFields } from '../process/describe-error.js';
import { databaseConnectionSettings } from '../db/database-connection-settings.js';
import { logCommandFailure } from './log-command-failure.js';
import { exitCodes } from './exit-codes.js';

export const migrateActions = ['latest', 'up', 'down', 'status', 'check'] as const;
export type MigrateAction = (typeof migrateActions)[number];

const applicationName = 'todo-history-migrate';

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

/**
 * Whether the migrations may use TimescaleDB, as DATABASE_TIMESCALEDB says: `off` never tries, `auto`
 * uses it when the extension can really be created and logs one line why not otherwise, `required`
 * fails with that line. Undefined means: do not migrate.
 */
async function decideTimescaledb(config: AppConfig['database'], logger: Logger): Promise<'on' | 'off' | undefined> {
  const mode = config.timescaledb;
  if (mode === 'off') return 'off';
  const verdict = await probeTimescaledb(config);
  if (verdict.usable) return 'on';
  if (mode === 'required') {
    logger.error({ timescaledb: mode }, `DATABASE_TIMESCALEDB is required but ${verdict.reason}`);
    return undefined;
  }
  const log = verdict.available ? logger.warn.bind(logger) : logger.info.bind(logger);
  log({ timescaledb: mode }, `${verdict.reason}: todo_event_logs stays a plain table`);
  return 'off';
}

function describePolicy({ policy, action, days }: PolicyOutcome): string {
  if (action === 'absent') return policy === 'compression settings' ? 'compression settings left as they are: no compression policy' : `no ${policy}`;
  const what = {
    'compression settings': 'todo_event_logs compressed in batches ordered by timestamp DESC, id DESC, no segment column',
    'compression policy': `chunks are compressed once ${days} days old`,
    'summary refresh window': days === 0 ? 'summaries refreshed over the whole history' : `summaries refreshed over the last ${days} days`,
    'retention policy': `chunks are dropped once ${days} days old; the summaries keep their days`,
  }[policy];
  return action === 'removed' ? `${policy} removed` : `${policy} ${action}: ${what}`;
}

/**
 * Makes the TimescaleDB jobs follow the TIMESCALEDB_* settings; on a plain table, whose summaries have
 * no jobs, any such setting fails the command rather than being ignored.
 */
async function applyPolicies(db: Kysely<Database>, config: AppConfig, logger: Logger): Promise<number> {
  if (!(await isHypertable(db))) {
    const requested = requestedPolicySettings(config.timescaledb);
    if (requested.length === 0) return exitCodes.ok;
    logger.error(
      { settings: requested },
      `todo_event_logs is a plain PostgreSQL table, which has no compression, retention or summary refresh policy: ${requested.join(', ')} must be 0 (or migrate onto TimescaleDB)`,
    );
    return exitCodes.failure;
  }
  for (const outcome of await applyTimescaledbPolicies(db, config.timescaledb)) {
    logger.info({ policy: outcome.policy, action: outcome.action, days: outcome.days }, describePolicy(outcome));
  }
  return exitCodes.ok;
}

async function runMigrations(config: AppConfig, command: MigrateCommand, logger: Logger): Promise<number> {
  const timescaledb = command === 'down' ? 'off' : await decideTimescaledb(config.database, logger);
  if (timescaledb === undefined) return exitCodes.failure;
  const db = createDatabase(config.database, logger, { applicationName, sessionSettings: { 'todo_history.timescaledb': timescaledb } });
  try {
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
      return await applyPolicies(db, config, logger);
    }
    const { error, results = [] } = outcome.result;
    for (const result of results) {
      const log = result.status === 'Error' ? logger.error.bind(logger) : logger.info.bind(logger);
      log({ migration: result.migrationName, direction: result.direction, status: result.status }, 'migration');
    }
    if (error !== undefined) {
      logger.error(failureFields(error), 'migration failed');
      return exitCodes.failure;
    }
    const hypertable = await isHypertable(db);
    const { schemaLevel } = await schemaStanding(db);
    logger.info(
      { schemaLevel, hypertable },
      hypertable
        ? 'schema migrated; todo_event_logs is a TimescaleDB hypertable'
        : 'schema migrated; todo_event_logs is a plain table, so hypertable features are off',
    );
    return command === 'down' ? exitCodes.ok : await applyPolicies(db, config, logger);
  } finally {
    await db.destroy();
  }
}

async function showStatus(config: AppConfig, action: 'status' | 'check', logger: Logger): Promise<number> {
  const db = createDatabase(config.database, logger, { applicationName });
  try {
    return await printStatus(db, action, logger);
  } finally {
    await db.destroy();
  }
}

/**
 * `migrate latest|up|down`: the only code path that changes the schema (the Helm hook Job runs it).
 * `migrate status` shows it; `migrate check` also exits 1 unless this build can run on it.
 */
export async function migrateCommand(action: MigrateAction, config: AppConfig, logger: Logger): Promise<number> {
  try {
    if (action === 'status' || action === 'check') return await showStatus(config, action, logger);
    return await runMigrations(config, action, logger);
  } catch (error) {
    logCommandFailure(logger, error, databaseConnectionSettings(config.database), 'migrate failed');
    return exitCodes.failure;
  }
}
