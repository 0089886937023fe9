import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/config-schema.js';
import { redactConfig } from '../config/redact-config.js';
import { ConsumerHealth } from '../consumer/consumer-health.js';
import { EventLogConsumer } from '../consumer/event-log-consumer.js';
import { createDatabase } from '../db/create-database.js';
import type { Database } from '../db/database.js';
import { withTimeout } from '../async/with-timeout.js';
import { assertSchemaVersion, schemaStanding } from '../db/schema-version.js';
import { closeHealthServer, startHealthServer, type ProbeResult } from '../http/health-server.js';
import { createKafka } from '../kafka/create-kafka.js';
import { createConsumerMetrics } from '../metrics/consumer-metrics.js';
import { exitCodes } from './exit-codes.js';
import { runUntilStopped } from './run-until-stopped.js';

const readinessQueryTimeoutMs = 2_000;

/** Ready: a member of the group, and the database answers with a schema this build runs on. */
async function readiness(health: ConsumerHealth, db: Kysely<Database>): Promise<ProbeResult> {
  if (!health.isMember()) return { ok: false, reason: 'not a member of the consumer group' };
  try {
    const standing = await withTimeout('reading the schema version', readinessQueryTimeoutMs, schemaStanding(db));
    return { ok: standing.compatible, reason: standing.reason };
  } catch (error) {
    return { ok: false, reason: `database: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/**
 * Runs the consumer until SIGTERM or SIGINT. The first signal stops fetching, lets the batch in flight
 * finish and commit, leaves the group and closes the pool, within the shutdown grace; a second one
 * exits at once.
 */
export async function consumeCommand(config: AppConfig, logger: Logger): Promise<number> {
  logger.info({ config: redactConfig(config) }, 'starting consumer');
  const db = createDatabase(config.database, logger);
  try {
    await assertSchemaVersion(db);
  } catch (error) {
    logger.fatal({ err: error }, 'cannot start');
    await db.destroy();
    return exitCodes.failure;
  }
  const metrics = createConsumerMetrics();
  const health = new ConsumerHealth(config.health.stallTimeoutMs, Date.now());
  const consumer = new EventLogConsumer(createKafka(config.kafka, logger), db, config, logger, { metrics, health, now: Date.now });
  const server = await startHealthServer(
    config.http.port,
    { live: () => health.liveness(Date.now()), ready: () => readiness(health, db) },
    metrics.registry,
  );

  const run = runUntilStopped('consumer', logger, config.shutdown.graceMs, async () => {
    await consumer.stop();
    await db.destroy();
    await closeHealthServer(server);
  });
  consumer.onFatalError((error) => {
    logger.fatal({ err: error }, 'Kafka consumer crashed and will not restart');
    run.stop(exitCodes.failure, 'consumer crashed');
  });
  consumer.start().then(
    () => logger.info({ port: config.http.port }, 'consumer running; probes and metrics served over HTTP'),
    (error: unknown) => {
      logger.fatal({ err: error }, 'cannot start');
      run.stop(exitCodes.failure, 'start failed');
    },
  );
  return run.exitCode;
}
