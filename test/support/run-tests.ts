import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startLocalServices, tlsServicesEnv } from '../../deploy/local/services/local-services.js';
import { refuseOtherNodeMajor } from './test-node-version.js';

refuseOtherNodeMajor('npm test');

/**
 * `npm test`: starts a real Kafka broker and a real PostgreSQL (or uses the ones KAFKA_BROKERS and
 * DATABASE_URL name), runs every unit and integration test against them with Node's test runner, and
 * stops what it started. Extra arguments are passed to `node --test` (e.g. a single test file).
 */
const distTest = fileURLToPath(new URL('..', import.meta.url));
const requested = process.argv.slice(2);
// Globs, which the test runner expands itself: since Node 21, --test no longer searches a directory it is given.
const targets = requested.length > 0 ? requested : ['unit', 'integration', 'faults'].map((folder) => `${distTest}${folder}/*.test.js`);

// Commit timestamps let the benchmark's smoke test measure produce-to-row latency, pg_stat_statements its writers' execution time.
const services = await startLocalServices({ postgres: { settings: { track_commit_timestamp: 'on', shared_preload_libraries: 'pg_stat_statements' } }, tls: true });
let exitCode = 1;
try {
  exitCode = await new Promise<number>((resolve) => {
    const runner = spawn(process.execPath, ['--enable-source-maps', '--test', '--test-concurrency=1', ...targets], {
      stdio: 'inherit',
      env: { ...process.env, KAFKA_BROKERS: services.kafkaBrokers, DATABASE_URL: services.databaseUrl, ...(services.tls === undefined ? {} : tlsServicesEnv(services.tls)) },
    });
    runner.on('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
  });
} finally {
  await services.stop();
}
process.exit(exitCode);
