import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/load-config.js';
import { createDatabase } from '../../src/db/create-database.js';
import { migrate } from '../../src/db/migrate.js';
import { loadBuildMigrations, type CatalogedMigration } from '../../src/db/migration-catalog.js';
import { startPostgresServer } from '../../deploy/local/services/postgres-server.js';
import { startTimescaledbServer } from '../../deploy/local/services/timescaledb-server.js';
import { createGoTable } from '../support/go-table.js';
import { refuseOtherNodeMajor } from '../support/test-node-version.js';
import { createTestDatabase } from '../support/test-database.js';
import { GoWriter, type TimedWrite } from '../support/go-writer.js';
import { percentile } from './percentile.js';

refuseOtherNodeMajor('npm run bench:adoption');

/**
 * `npm run bench:adoption`: `migrate latest` adopting the Go service's table of `--rows` rows (default ten
 * million) on a PostgreSQL of its own (with `--timescaledb`, on a real TimescaleDB server, the table a
 * hypertable with 1-day chunks as the Go service makes it), while the Go service keeps inserting one row
 * per statement. Prints,
 * per migration, how long it ran and the longest time one write was in flight while it ran (a write that
 * waits on a lock stays in flight; under one transaction for all migrations, a lock taken by one holds
 * writes through the ones after it), with the writes' usual time before migrate as the baseline. Checks
 * that every write is stored exactly once.
 */
const { values: options } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000000' },
    'baseline-seconds': { type: 'string', default: '5' },
    timescaledb: { type: 'boolean', default: false },
  },
});
const rowCount = Number(options.rows);
const baselineMs = Number(options['baseline-seconds']) * 1000;

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

interface MigrationSpan {
  name: string;
  startMs: number;
  endMs: number;
}

/** The build's migrations, each recording when its `up` started and ended. */
function timed(migrations: readonly CatalogedMigration[], spans: MigrationSpan[]): CatalogedMigration[] {
  return migrations.map((migration) => ({
    ...migration,
    up: async (db) => {
      const startMs = performance.now();
      await migration.up(db);
      spans.push({ name: migration.name, startMs, endMs: performance.now() });
    },
  }));
}

const seconds = (ms: number): string => (ms / 1000).toFixed(ms < 10_000 ? 3 : 1);

/** The longest time one of `writes` spent in flight between `fromMs` and `toMs`: a write waiting on a lock is in flight. */
function longestInFlight(writes: readonly TimedWrite[], fromMs: number, toMs: number): number {
  return Math.max(0, ...writes.map((write) => Math.min(write.endMs, toMs) - Math.max(write.startMs, fromMs)));
}

/** The server to adopt on, and how to stop it. */
async function startServer(): Promise<{ url: string; stop(): Promise<void> }> {
  if (!options.timescaledb) {
    const server = await startPostgresServer();
    return { url: server.url, stop: () => server.stop() };
  }
  const timescale = await startTimescaledbServer();
  if (timescale === undefined) throw new Error('--timescaledb needs the TimescaleDB source beside the repository (../shared/vendor)');
  return { url: timescale.server.url, stop: () => timescale.destroy() };
}

const server = await startServer();
try {
  const database = await createTestDatabase({ server: server.url, migrated: false });
  try {
    log(`creating the Go service's ${options.timescaledb ? 'hypertable' : 'table'} with ${rowCount.toLocaleString('en')} rows…`);
    const loadStart = performance.now();
    if (options.timescaledb) await sql`CREATE EXTENSION IF NOT EXISTS timescaledb`.execute(database.db);
    await createGoTable(database.db, rowCount);
    if (options.timescaledb) {
      await sql`SELECT create_hypertable('todo_event_logs', 'timestamp', chunk_time_interval => INTERVAL '1 day', migrate_data => TRUE)`.execute(database.db);
      await sql`VACUUM ANALYZE todo_event_logs`.execute(database.db);
    }
    const { rows: size } = options.timescaledb
      ? await sql<{ size: string }>`SELECT pg_size_pretty(hypertable_size('todo_event_logs')) AS size`.execute(database.db)
      : await sql<{ size: string }>`SELECT pg_size_pretty(pg_total_relation_size('todo_event_logs')) AS size`.execute(database.db);
    log(`  ${seconds(performance.now() - loadStart)} s, ${size[0]?.size ?? '?'} with indexes`);

    const config = loadConfig({ DATABASE_URL: database.url, DATABASE_STATEMENT_TIMEOUT_MS: '0', DATABASE_LOCK_TIMEOUT_MS: '10000' });
    const migrationDb = createDatabase(config.database, pino({ level: 'silent' }), {
      applicationName: 'todo-history-migrate',
      sessionSettings: { 'todo_history.timescaledb': options.timescaledb ? 'on' : 'off' },
    });
    const writer = new GoWriter(database.url, 'bench-writer');
    const spans: MigrationSpan[] = [];
    let migrateStartMs = 0;
    let migrateEndMs = 0;
    try {
      await sleep(baselineMs);
      log('migrate latest, with the Go service writing…');
      migrateStartMs = performance.now();
      const outcome = await migrate(migrationDb, 'latest', timed(await loadBuildMigrations(), spans));
      migrateEndMs = performance.now();
      if (outcome.kind !== 'ran') throw new Error(`migrate latest did not run: ${outcome.kind}`);
      if (outcome.result.error !== undefined) throw outcome.result.error;
      await sleep(1000);
    } finally {
      await migrationDb.destroy();
    }
    const writes = await writer.stop();

    const { rows: stored } = await sql<{ rows: string; distinct: string }>`
      SELECT count(*) AS rows, count(DISTINCT entity_id) AS distinct FROM todo_event_logs WHERE entity_id LIKE 'bench-writer-%'`.execute(database.db);
    const storedOnce = Number(stored[0]?.rows) === writes.length && Number(stored[0]?.distinct) === writes.length;

    const baseline = writes.filter((write) => write.startMs < migrateStartMs).map((write) => write.endMs - write.startMs);
    const during = writes.filter((write) => write.endMs >= migrateStartMs && write.endMs < migrateEndMs);
    const perMillion = rowCount / 1_000_000;
    const lines = [
      `adoption of a Go ${options.timescaledb ? 'hypertable (TimescaleDB, 1-day chunks)' : 'table (plain PostgreSQL)'} of ${rowCount.toLocaleString('en')} rows (${size[0]?.size ?? '?'}), one writer; shared machine, figures indicative`,
      'writes: those that returned while it ran; longest wait: the longest time one write was in flight while it ran',
      `baseline write: p50 ${seconds(percentile(baseline, 0.5))} s, max ${seconds(Math.max(0, ...baseline))} s (${baseline.length} writes)`,
      `${'migration'.padEnd(48)} ${'time s'.padStart(9)} ${'s/M rows'.padStart(9)} ${'writes'.padStart(7)} ${'longest wait s'.padStart(16)}`,
      ...spans.map((span) => {
        const finished = writes.filter((write) => write.endMs >= span.startMs && write.endMs < span.endMs);
        const ms = span.endMs - span.startMs;
        return `${span.name.padEnd(48)} ${seconds(ms).padStart(9)} ${seconds(ms / perMillion).padStart(9)} ${String(finished.length).padStart(7)} ${seconds(longestInFlight(writes, span.startMs, span.endMs)).padStart(16)}`;
      }),
      `${'whole migrate latest'.padEnd(48)} ${seconds(migrateEndMs - migrateStartMs).padStart(9)} ${seconds((migrateEndMs - migrateStartMs) / perMillion).padStart(9)} ${String(during.length).padStart(7)} ${seconds(longestInFlight(writes, migrateStartMs, migrateEndMs)).padStart(16)}`,
      `writes during the run stored exactly once: ${storedOnce ? 'yes' : `NO (${stored[0]?.rows} rows, ${stored[0]?.distinct} distinct, ${writes.length} writes)`}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (!storedOnce) process.exitCode = 1;
  } finally {
    await database.drop();
  }
} finally {
  await server.stop();
}
