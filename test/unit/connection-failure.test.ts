import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import kafkajs from 'kafkajs';
import { ConnectionFailure, diagnoseConnectionFailure, type ConnectionSettings } from '../../src/connection/connection-failure.js';

// kafkajs is CommonJS: its error classes are not named exports.
const { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSSASLAuthenticationError } = kafkajs;

/** kafkajs's own SASL failure, as its authenticator throws it (its typings omit the constructor's message). */
function saslFailure(message: string): Error {
  const SaslAuthenticationError = KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error;
  return new SaslAuthenticationError(message);
}

const kafka: ConnectionSettings = {
  server: 'Kafka broker',
  address: 'kafka-0:9093,kafka-1:9093',
  addressSetting: 'KAFKA_BROKERS',
  tls: { enabled: true, setting: 'KAFKA_SSL_ENABLED' },
  ca: { setting: 'KAFKA_SSL_CA_FILE', file: '' },
  credentials: 'KAFKA_SASL_USERNAME ("app") and KAFKA_SASL_PASSWORD',
  mechanism: { setting: 'KAFKA_SASL_MECHANISM', value: 'scram-sha-512' },
};

/** What kafkajs throws after its own retries: the socket's code, one or two levels down. */
function afterKafkajsRetries(message: string, code: string): Error {
  return new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError(`Connection error: ${message}`, { broker: 'kafka-1:9093', code }), { retryCount: 5, retryTime: 5000 });
}

function diagnosed(error: unknown, settings = kafka): ConnectionFailure {
  const failure = diagnoseConnectionFailure(error, settings);
  assert.ok(failure instanceof ConnectionFailure, 'diagnosed');
  return failure;
}

describe('diagnoseConnectionFailure', () => {
  it('finds the certificate problem under kafkajs\'s wrappers, and names the broker and the setting', () => {
    const unknownCa = diagnosed(afterKafkajsRetries('unable to verify the first certificate', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'));
    assert.equal(unknownCa.code, 'tls_unknown_ca');
    assert.equal(unknownCa.retryable, false);
    assert.equal(
      unknownCa.message,
      'Kafka broker kafka-1:9093: unknown CA: its certificate is not signed by a CA in the system CAs (KAFKA_SSL_CA_FILE is empty); set KAFKA_SSL_CA_FILE to the PEM file of the CA that signed it',
    );
    const mismatch = diagnosed(afterKafkajsRetries("Hostname/IP does not match certificate's altnames", 'ERR_TLS_CERT_ALTNAME_INVALID'));
    assert.equal(mismatch.code, 'tls_host_name_mismatch');
    assert.match(mismatch.message, /^Kafka broker kafka-1:9093: host name mismatch: its certificate is not issued for kafka-1; /);
  });

  it('tells a refused SASL login, which is permanent, from a refused connection, which is retried', () => {
    const sasl = saslFailure('SASL SCRAM SHA512 authentication failed: invalid credentials');
    // As kafkajs's retrier gives up on it: the SASL error is the wrapper's cause.
    const login = diagnosed(Object.assign(new KafkaJSNonRetriableError(sasl), { cause: sasl }));
    assert.deepEqual([login.code, login.retryable], ['authentication_failed', false]);
    assert.equal(login.message, 'Kafka broker kafka-0:9093,kafka-1:9093: authentication failed with KAFKA_SASL_MECHANISM=scram-sha-512: check KAFKA_SASL_USERNAME ("app") and KAFKA_SASL_PASSWORD');
    const refused = diagnosed(afterKafkajsRetries('connect ECONNREFUSED 10.0.0.1:9093', 'ECONNREFUSED'));
    assert.deepEqual([refused.code, refused.retryable], ['connection_refused', true]);
    assert.equal(refused.message, 'Kafka broker kafka-1:9093: connection refused: nothing listens there (KAFKA_BROKERS)');
  });

  it('reads PostgreSQL\'s refusals by SQLSTATE', () => {
    const settings: ConnectionSettings = { ...kafka, server: 'PostgreSQL', address: 'db:5432', addressSetting: 'the host in DATABASE_URL', tls: { enabled: false, setting: 'DATABASE_SSL_MODE' }, mechanism: undefined, credentials: 'the password' };
    const noTls = diagnosed(Object.assign(new Error('pg_hba.conf rejects connection for host "10.0.0.2", user "app", database "app", no encryption'), { code: '28000' }), settings);
    assert.deepEqual([noTls.code, noTls.retryable], ['tls_required', false]);
    assert.match(noTls.message, /; set DATABASE_SSL_MODE=verify-full$/);
    assert.equal(diagnosed(Object.assign(new Error('password authentication failed for user "app"'), { code: '28P01' }), settings).code, 'authentication_failed');
  });

  it('leaves anything else alone', () => {
    assert.equal(diagnoseConnectionFailure(Object.assign(new Error('relation "todo_event_logs" does not exist'), { code: '42P01' }), kafka), undefined);
    assert.equal(diagnoseConnectionFailure('not an error', kafka), undefined);
  });
});
