import { startKafkaBroker, type KafkaBrokerHandle, type KafkaBrokerOptions } from './kafka-broker.js';
import { describeError } from '../system/log-tail.js';
import { startPostgresServer, type PostgresServerHandle, type PostgresServerOptions } from './postgres-server.js';

export interface LocalServicesOptions {
  readonly kafka?: KafkaBrokerOptions;
  readonly postgres?: PostgresServerOptions;
  /** Where KAFKA_BROKERS and DATABASE_URL are read from; defaults to process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

export interface LocalServices {
  /** Comma-separated bootstrap brokers, e.g. "127.0.0.1:PORT". */
  readonly kafkaBrokers: string;
  readonly databaseUrl: string;
  /** Present only when the broker was started here (KAFKA_BROKERS unset). */
  readonly kafka?: KafkaBrokerHandle;
  /** Present only when PostgreSQL was started here (DATABASE_URL unset). */
  readonly postgres?: PostgresServerHandle;
  /** Stops whatever was started here and deletes its files; external services are left alone. */
  stop(): Promise<void>;
}

/**
 * Kafka and PostgreSQL for tests and the demo: the ones named by KAFKA_BROKERS / DATABASE_URL when set,
 * otherwise real local servers started here (and stopped on stop(), process exit, SIGINT or SIGTERM).
 */
export async function startLocalServices(options: LocalServicesOptions = {}): Promise<LocalServices> {
  const env = options.env ?? process.env;
  const externalBrokers = nonEmpty(env.KAFKA_BROKERS);
  const externalDatabaseUrl = nonEmpty(env.DATABASE_URL);
  const [kafka, postgres] = await Promise.allSettled([
    externalBrokers === undefined ? startKafkaBroker(options.kafka) : Promise.resolve(undefined),
    externalDatabaseUrl === undefined ? startPostgresServer(options.postgres) : Promise.resolve(undefined),
  ]);
  if (kafka.status === 'rejected' || postgres.status === 'rejected') {
    await Promise.allSettled([kafka, postgres].map((started) => (started.status === 'fulfilled' ? started.value?.destroy() : undefined)));
    const failures = [kafka, postgres].flatMap((started) => (started.status === 'rejected' ? [describeError(started.reason)] : []));
    throw new Error(`Starting local services failed:\n${failures.join('\n\n')}`);
  }
  const kafkaBrokers = externalBrokers ?? kafka.value?.brokers;
  const databaseUrl = externalDatabaseUrl ?? postgres.value?.url;
  if (kafkaBrokers === undefined || databaseUrl === undefined) throw new Error('A started service did not report its address');
  let stopping: Promise<void> | undefined;
  return {
    kafkaBrokers,
    databaseUrl,
    kafka: kafka.value,
    postgres: postgres.value,
    stop: () => (stopping ??= destroyAll(kafka.value, postgres.value)),
  };
}

async function destroyAll(...services: ReadonlyArray<{ destroy(): Promise<void> } | undefined>): Promise<void> {
  const results = await Promise.allSettled(services.map((service) => service?.destroy()));
  const failures = results.flatMap((result) => (result.status === 'rejected' ? [describeError(result.reason)] : []));
  if (failures.length > 0) throw new Error(`Stopping local services failed:\n${failures.join('\n')}`);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
