import type { Logger } from 'pino';
import type { AppConfig } from '../config/config-schema.js';
import { redactConfig } from '../config/redact-config.js';
import { EventLogConsumer } from '../consumer/event-log-consumer.js';
import { createDatabase } from '../db/create-database.js';
import { assertSchemaVersion } from '../db/schema-version.js';
import { createKafka } from '../kafka/create-kafka.js';
import { exitCodes } from './exit-codes.js';

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
  const consumer = new EventLogConsumer(createKafka(config.kafka, logger), db, config, logger);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = async (exitCode: number, reason: string): Promise<void> => {
      if (stopping) {
        logger.warn({ reason }, 'second stop request: exiting now');
        resolve(exitCodes.failure);
        return;
      }
      stopping = true;
      logger.info({ reason, graceMs: config.shutdown.graceMs }, 'stopping consumer');
      const grace = setTimeout(() => {
        logger.error({ graceMs: config.shutdown.graceMs }, 'shutdown grace period exceeded: exiting without a clean leave');
        resolve(exitCodes.failure);
      }, config.shutdown.graceMs);
      try {
        await consumer.stop();
        await db.destroy();
        logger.info('consumer stopped');
        resolve(exitCode);
      } catch (error) {
        logger.error({ err: error }, 'error while stopping');
        resolve(exitCodes.failure);
      } finally {
        clearTimeout(grace);
      }
    };
    process.on('SIGTERM', () => void stop(exitCodes.ok, 'SIGTERM'));
    process.on('SIGINT', () => void stop(exitCodes.ok, 'SIGINT'));
    consumer.onFatalError((error) => {
      logger.fatal({ err: error }, 'Kafka consumer crashed and will not restart');
      void stop(exitCodes.failure, 'consumer crashed');
    });
    consumer.start().then(
      () => logger.info('consumer running'),
      (error: unknown) => {
        logger.fatal({ err: error }, 'cannot start');
        void stop(exitCodes.failure, 'start failed');
      },
    );
  });
}
