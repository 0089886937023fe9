import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startLocalServices, tlsServicesEnv } from '../../deploy/local/services/local-services.js';
import { startTimescaledbServer } from '../../deploy/local/services/timescaledb-server.js';
import { timescaledbSourcePath } from '../../deploy/local/services/timescaledb-build.js';
import { describeError } from '../../deploy/local/system/log-tail.js';
import { refuseOtherNodeMajor } from './test-node-version.js';

refuseOtherNodeMajor('npm test');

/**
 * `npm test`: starts a real Kafka broker and a real PostgreSQL (or uses the ones KAFKA_BROKERS and
 * DATABASE_URL name) and, beside them, a PostgreSQL with real TimescaleDB (TEST_TIMESCALEDB_URL) when its
 * source is beside the repository; runs every unit and integration test against them with Node's test
 * runner, and stops what it started. Extra arguments are passed to `node --test` (e.g. a single test file).
 */
const distTest = fileURLToPath(new URL('..', import.meta.url));
const requested = process.argv.slice(2);
// Globs, which the test runner expands itself: since Node 21, --test no longer searches a directory it is given.
const targets = requested.length > 0 ? requested : ['unit', 'integration', 'faults'].map((folder) => `${distTest}${folder}/*.test.js`);

// Commit timestamps let the benchmark's smoke test measure produce-to-row latency, pg_stat_statements its writers' execution time.
const [services, timescaledb] = await Promise.allSettled([
  startLocalServices({ postgres: { settings: { track_commit_timestamp: 'on', shared_preload_libraries: 'pg_stat_statements' } }, tls: true }),
  startTimescaledbServer({ postgres: { fsync: false } }),
]);
if (services.status === 'rejected' || timescaledb.status === 'rejected') {
  await Promise.allSettled([services.status === 'fulfilled' ? services.value.stop() : undefined, timescaledb.status === 'fulfilled' ? timescaledb.value?.destroy() : undefined]);
  const failures = [services, timescaledb].flatMap((started) => (started.status === 'rejected' ? [describeError(started.reason)] : []));
  throw new Error(`Starting the test services failed:\n${failures.join('\n\n')}`);
}
const timescaledbEnv: Record<string, string> = {};
if (timescaledb.value === undefined) {
  process.stdout.write(`TimescaleDB tests run on the PGlite stand-in, not on a real TimescaleDB server: ${timescaledbSourcePath()} is absent\n`);
} else {
  process.stdout.write(`TimescaleDB tests run on a real TimescaleDB ${timescaledb.value.version} server at ${timescaledb.value.server.url}\n`);
  timescaledbEnv.TEST_TIMESCALEDB_URL = timescaledb.value.server.url;
}
let exitCode = 1;
try {
  exitCode = await new Promise<number>((resolve) => {
    const runner = spawn(process.execPath, ['--enable-source-maps', '--test', '--test-concurrency=1', ...targets], {
      stdio: 'inherit',
      env: {
        ...process.env,
        KAFKA_BROKERS: services.value.kafkaBrokers,
        DATABASE_URL: services.value.databaseUrl,
        ...timescaledbEnv,
        ...(services.value.tls === undefined ? {} : tlsServicesEnv(services.value.tls)),
      },
    });
    runner.on('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
  });
} finally {
  await Promise.all([services.value.stop(), timescaledb.value?.destroy()]);
}
process.exit(exitCode);
