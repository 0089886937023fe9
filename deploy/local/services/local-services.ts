import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKafkaBroker, type KafkaBrokerHandle, type KafkaBrokerOptions, type KafkaSaslSslOptions } from './kafka-broker.js';
import type { KafkaSaslUser } from './kafka-broker-config.js';
import { describeError } from '../system/log-tail.js';
import { startPostgresServer, type PostgresServerHandle, type PostgresServerOptions, type PostgresTlsOptions } from './postgres-server.js';
import { createTestCertificates, type TestCertificates } from './test-certificates.js';

export interface LocalServicesOptions {
  readonly kafka?: KafkaBrokerOptions;
  readonly postgres?: PostgresServerOptions;
  /** Where KAFKA_BROKERS and DATABASE_URL are read from; defaults to process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Also serve TLS from the servers started here, with certificates from a test CA made now: a SASL_SSL
   * listener on the broker (SCRAM-SHA-512 and PLAIN users) and `ssl = on` on PostgreSQL with a role
   * allowed in only over TLS. The plaintext listeners stay as they are.
   */
  readonly tls?: boolean;
}

/** How to reach the TLS side of the local servers; the passwords are random per start. */
export interface LocalTlsServices {
  readonly certificates: TestCertificates;
  /** "localhost:PORT": the certificates name localhost, so 127.0.0.1:PORT is a host name mismatch. */
  readonly kafkaSaslSslBrokers: string;
  readonly kafkaScramUser: KafkaSaslUser;
  readonly kafkaPlainUser: KafkaSaslUser;
  /** As the role that may log in only over TLS, at localhost. */
  readonly databaseTlsUrl: string;
}

export interface LocalServices {
  /** Comma-separated bootstrap brokers, e.g. "127.0.0.1:PORT". */
  readonly kafkaBrokers: string;
  readonly databaseUrl: string;
  /** Present only when the broker was started here (KAFKA_BROKERS unset). */
  readonly kafka?: KafkaBrokerHandle;
  /** Present only when PostgreSQL was started here (DATABASE_URL unset). */
  readonly postgres?: PostgresServerHandle;
  /** Present only with the `tls` option, when both servers were started here. */
  readonly tls?: LocalTlsServices;
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
  const tls = options.tls === true && externalBrokers === undefined && externalDatabaseUrl === undefined ? await tlsSetup() : undefined;
  const [kafka, postgres] = await Promise.allSettled([
    externalBrokers === undefined ? startKafkaBroker({ ...options.kafka, saslSsl: tls?.kafka }) : Promise.resolve(undefined),
    externalDatabaseUrl === undefined ? startPostgresServer({ ...options.postgres, tls: tls?.postgres }) : Promise.resolve(undefined),
  ]);
  if (kafka.status === 'rejected' || postgres.status === 'rejected') {
    await Promise.allSettled([kafka, postgres].map((started) => (started.status === 'fulfilled' ? started.value?.destroy() : undefined)));
    await tls?.destroy();
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
    tls: tls === undefined ? undefined : tlsServices(tls, kafka.value, postgres.value),
    stop: () => (stopping ??= destroyAll(kafka.value, postgres.value, tls)),
  };
}

/** The certificates and users both servers are started with; destroy() deletes the certificates. */
interface TlsSetup {
  readonly certificates: TestCertificates;
  readonly kafka: KafkaSaslSslOptions;
  readonly postgres: PostgresTlsOptions;
  destroy(): Promise<void>;
}

async function tlsSetup(): Promise<TlsSetup> {
  const directory = await mkdtemp(join(tmpdir(), 'todo-history-tls-'));
  const destroy = () => rm(directory, { recursive: true, force: true });
  try {
    const certificates = await createTestCertificates(directory);
    const secret = () => randomBytes(12).toString('hex');
    return {
      certificates,
      kafka: { certificates, scramUser: { username: 'todo-history-scram', password: secret() }, plainUser: { username: 'todo-history-plain', password: secret() } },
      postgres: { certificates, tlsOnlyRole: { name: 'todo_history_tls', password: secret() } },
      destroy,
    };
  } catch (error) {
    await destroy();
    throw error;
  }
}

function tlsServices(tls: TlsSetup, kafka: KafkaBrokerHandle | undefined, postgres: PostgresServerHandle | undefined): LocalTlsServices {
  if (kafka?.saslSslBrokers === undefined || postgres?.tlsUrl === undefined) throw new Error('A server started with TLS did not report its TLS address');
  return {
    certificates: tls.certificates,
    kafkaSaslSslBrokers: kafka.saslSslBrokers,
    kafkaScramUser: tls.kafka.scramUser,
    kafkaPlainUser: tls.kafka.plainUser,
    databaseTlsUrl: postgres.tlsUrl,
  };
}

/**
 * The environment variables that hand the TLS services to the tests (test/support/tls-services.ts
 * reads them back). They are named TEST_* so that no todo-history setting picks them up.
 */
export function tlsServicesEnv(tls: LocalTlsServices): Record<string, string> {
  return {
    TEST_TLS_CA_FILE: tls.certificates.caFile,
    TEST_TLS_UNRELATED_CA_FILE: tls.certificates.unrelatedCaFile,
    TEST_TLS_CLIENT_CERT_FILE: tls.certificates.clientCertificateFile,
    TEST_TLS_CLIENT_KEY_FILE: tls.certificates.clientKeyFile,
    TEST_KAFKA_SASL_SSL_BROKERS: tls.kafkaSaslSslBrokers,
    TEST_KAFKA_SCRAM_USERNAME: tls.kafkaScramUser.username,
    TEST_KAFKA_SCRAM_PASSWORD: tls.kafkaScramUser.password,
    TEST_KAFKA_PLAIN_USERNAME: tls.kafkaPlainUser.username,
    TEST_KAFKA_PLAIN_PASSWORD: tls.kafkaPlainUser.password,
    TEST_DATABASE_TLS_URL: tls.databaseTlsUrl,
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
