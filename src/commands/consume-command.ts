import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/config-schema.js';
import { redactConfig } from '../config/redact-config.js';
import { ConsumerHealth } from '../consumer/consumer-health.js';
import { EventLogConsumer } from '../consumer/event-log-consumer.js';
import { createPool, databaseOver } from '../db/create-database.js';
import type { Database } from '../db/database.js';
import { withTimeout } from '../async/with-timeout.js';
import { assertPrivileges } from '../db/role-privileges.js';
import { assertSchemaVersion, schemaStanding } from '../db/schema-version.js';
import { closeHealthServer, type ProbeResult } from '../http/health-server.js';
import { serveProbes } from '../http/serve-probes.js';
import { createKafka } from '../kafka/create-kafka.js';
import { createConsumerMetrics } from '../metrics/consumer-metrics.js';
import { describeError } from '../process/describe-error.js';
import { stopOnUnexpectedErrors } from '../process/unexpected-errors.js';
import { StartupRetry } from '../retry/startup-retry.js';
import { diagnosingFailures } from '../connection/connection-failure.js';
import { databaseConnectionSettings } from '../db/database-connection-settings.js';
import { checkKafkaTls } from '../kafka/check-kafka-tls.js';
import { kafkaConnectionSettings } from '../kafka/kafka-connection-settings.js';
import { exitCodes } from './exit-codes.js';
import { runUntilStopped } from './run-until-stopped.js';

const readinessQueryTimeoutMs = 2_000;
const kafkaTlsCheckTimeoutMs = 5_000;

/**
 * Ready means the consumer can do its work: started, in its group (a rebalance shorter than the grace
 * counts as in it), no partition blocked or stuck, and the database answers with a schema this build runs on.
 */
async function readiness(startup: StartupRetry, health: ConsumerHealth, db: Kysely<Database>): Promise<ProbeResult> {
  const waitingFor = startup.waitingFor();
  if (waitingFor !== undefined) return { ok: false, reason: `starting: ${waitingFor}` };
  const problem = health.readinessProblem(Date.now());
  if (problem !== undefined) return { ok: false, reason: problem };
  try {
    const standing = await withTimeout('reading the schema version', readinessQueryTimeoutMs, schemaStanding(db));
    return { ok: standing.compatible, reason: standing.reason };
  } catch (error) {
    return { ok: false, reason: `database: ${describeError(error)}` };
  }
}

/**
 * Runs the consumer until SIGTERM or SIGINT. The probes are served at once; until PostgreSQL answers
 * with the schema this build runs on and Kafka lets it join, /readyz says what it waits for and the
 * start is retried with the batch backoff. Only a wrong schema, a database role lacking a privilege it
 * needs, a missing topic, or a certificate or password that the server or this client refuses ends it
 * (exit 1).
 * The first signal stops fetching, lets the batch in flight finish and commit, leaves the group and
 * closes the pool, within the shutdown grace; a second one exits at once.
 */
export async function consumeCommand(config: AppConfig, logger: Logger): Promise<number> {
  logger.info({ config: redactConfig(config) }, 'starting consumer');
  const metrics = createConsumerMetrics();
  const health = new ConsumerHealth(config.health.stallTimeoutMs, config.health.stuckPartitionTimeoutMs, config.health.readinessRebalanceGraceMs, Date.now());
  const startup = new StartupRetry(config.retry, logger);
  const pool = createPool(config.database, logger);
  const db = databaseOver(pool);
  const server = await serveProbes(
    config.http.port,
    { live: () => health.liveness(Date.now()), ready: () => readiness(startup, health, db) },
    metrics.registry,
    logger,
  );
  if (server === undefined) {
    await db.destroy();
    return exitCodes.failure;
  }
  const consumer = new EventLogConsumer(createKafka(config.kafka, logger), pool, db, config, logger, { metrics, health, now: Date.now });

  const run = runUntilStopped('consumer', logger, config.shutdown.graceMs, async () => {
    startup.stop();
    await consumer.stop();
    await db.destroy();
    await closeHealthServer(server);
  });
  stopOnUnexpectedErrors(logger, (reason) => run.stop(exitCodes.failure, reason));
  consumer.onFatalError((error) => {
    logger.fatal({ err: error }, 'Kafka consumer crashed and will not restart');
    run.stop(exitCodes.failure, 'consumer crashed');
  });
  startup
    .run([
      // A refused connection is retried; a certificate or password that is wrong ends the start at once.
      {
        name: 'database',
        run: () =>
          diagnosingFailures(databaseConnectionSettings(config.database), async () => {
            await assertPrivileges(db, 'consume');
            await assertSchemaVersion(db);
          }),
      },
      {
        name: 'kafka',
        run: () =>
          diagnosingFailures(kafkaConnectionSettings(config.kafka), async () => {
            await checkKafkaTls(config.kafka, kafkaTlsCheckTimeoutMs);
            await consumer.start();
          }),
      },
    ])
    .then(
      (started) => {
        if (started) logger.info({ port: config.http.port }, 'consumer running; probes and metrics served over HTTP');
      },
      (error: unknown) => {
        const code = error instanceof Error && 'code' in error ? error.code : undefined;
        logger.fatal({ code }, `cannot start: ${describeError(error)}`);
        run.stop(exitCodes.failure, 'start failed');
      },
    );
  return run.exitCode;
}
