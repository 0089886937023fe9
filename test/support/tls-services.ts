import { Kafka, logLevel } from 'kafkajs';
import { readFileSync } from 'node:fs';

/** The TLS side of the local services, as `npm test` hands it over (deploy/local/services/local-services.ts, tlsServicesEnv). */
export interface TlsServices {
  caFile: string;
  unrelatedCaFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  /** "localhost:PORT" */
  saslSslBrokers: string;
  scram: { username: string; password: string };
  plain: { username: string; password: string };
  /** As the role pg_hba.conf lets in only over TLS, at localhost. */
  databaseUrl: string;
}

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`${name} is not set: run the tests with \`npm test\`, which starts Kafka and PostgreSQL with TLS (or source what local-services-cli prints)`);
  }
  return value;
}

export function tlsServices(): TlsServices {
  return {
    caFile: required('TEST_TLS_CA_FILE'),
    unrelatedCaFile: required('TEST_TLS_UNRELATED_CA_FILE'),
    clientCertFile: required('TEST_TLS_CLIENT_CERT_FILE'),
    clientKeyFile: required('TEST_TLS_CLIENT_KEY_FILE'),
    saslSslBrokers: required('TEST_KAFKA_SASL_SSL_BROKERS'),
    scram: { username: required('TEST_KAFKA_SCRAM_USERNAME'), password: required('TEST_KAFKA_SCRAM_PASSWORD') },
    plain: { username: required('TEST_KAFKA_PLAIN_USERNAME'), password: required('TEST_KAFKA_PLAIN_PASSWORD') },
    databaseUrl: required('TEST_DATABASE_TLS_URL'),
  };
}

/** The same address with the host a certificate issued for localhost does not list. */
export function byLoopbackAddress(address: string): string {
  return address.replace('localhost', '127.0.0.1');
}

/** A kafkajs client on the SASL_SSL listener as the PLAIN user: what a producing application would use. */
export function plainUserKafka(tls: TlsServices): Kafka {
  return new Kafka({
    clientId: 'todo-history-tls-test',
    brokers: [tls.saslSslBrokers],
    ssl: { ca: [readFileSync(tls.caFile, 'utf8')] },
    sasl: { mechanism: 'plain', ...tls.plain },
    logLevel: logLevel.NOTHING,
  });
}
