import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { loadScalerConfig } from '../../src/config/scaler-config-schema.js';
import { configProblems } from '../support/config-problems.js';
import { certificatePem, keyPem, otherKeyPem } from '../support/tls-fixture.js';

const directory = mkdtempSync(path.join(tmpdir(), 'todo-history-tls-config-'));

function file(name: string, content: string): string {
  const target = path.join(directory, name);
  writeFileSync(target, content);
  return target;
}

const pem = file('client.crt', certificatePem);
const key = file('client.key', keyPem);
const otherKey = file('other.key', otherKeyPem);
const notPem = file('ca.der', 'not a certificate');

describe('TLS settings', () => {
  after(() => rmSync(directory, { recursive: true, force: true }));

  it('takes CA, client certificate and key files that hold PEM', () => {
    const config = loadConfig({
      KAFKA_SSL_ENABLED: 'true',
      KAFKA_SSL_CA_FILE: pem,
      KAFKA_SSL_CERT_FILE: pem,
      KAFKA_SSL_KEY_FILE: key,
      DATABASE_SSL_MODE: 'verify-full',
      DATABASE_SSL_CA_FILE: pem,
      DATABASE_SSL_CERT_FILE: pem,
      DATABASE_SSL_KEY_FILE: key,
    });
    assert.deepEqual(config.kafka.ssl, { enabled: true, caFile: pem, certFile: pem, keyFile: key, rejectUnauthorized: true });
    assert.deepEqual([config.database.sslCaFile, config.database.sslCertFile, config.database.sslKeyFile], [pem, pem, key]);
  });

  it('refuses a key that is not the certificate\'s, naming both settings', () => {
    assert.deepEqual(configProblems({ KAFKA_SSL_ENABLED: 'true', KAFKA_SSL_CERT_FILE: pem, KAFKA_SSL_KEY_FILE: otherKey }), [
      'kafka.ssl.keyFile (KAFKA_SSL_KEY_FILE): cannot be used with the certificate in KAFKA_SSL_CERT_FILE: key values mismatch',
    ]);
  });

  it('refuses a file that is missing or not PEM, naming the key', () => {
    const missing = path.join(directory, 'missing.crt');
    assert.deepEqual(configProblems({ KAFKA_SSL_ENABLED: 'true', KAFKA_SSL_CA_FILE: missing, DATABASE_SSL_MODE: 'verify-full', DATABASE_SSL_CA_FILE: notPem }), [
      `database.sslCaFile (DATABASE_SSL_CA_FILE): ${notPem} is not a PEM file (no -----BEGIN line): value was "${notPem}"`,
      `kafka.ssl.caFile (KAFKA_SSL_CA_FILE): cannot read ${missing}: ENOENT: value was "${missing}"`,
    ]);
  });

  it('wants a client certificate and its key together', () => {
    assert.deepEqual(configProblems({ KAFKA_SSL_ENABLED: 'true', KAFKA_SSL_CERT_FILE: pem, DATABASE_SSL_MODE: 'verify-full', DATABASE_SSL_KEY_FILE: key }), [
      'kafka.ssl.keyFile (KAFKA_SSL_KEY_FILE): required when KAFKA_SSL_CERT_FILE is set',
      'database.sslCertFile (DATABASE_SSL_CERT_FILE): required when DATABASE_SSL_KEY_FILE is set',
    ]);
  });

  it('refuses TLS files that TLS off (or unverified) would silently ignore', () => {
    assert.deepEqual(configProblems({ KAFKA_SSL_CA_FILE: pem, DATABASE_SSL_CA_FILE: pem }), [
      'kafka.ssl.caFile (KAFKA_SSL_CA_FILE): set, but KAFKA_SSL_ENABLED is false; set KAFKA_SSL_ENABLED=true to use it',
      'database.sslCaFile (DATABASE_SSL_CA_FILE): set, but DATABASE_SSL_MODE is disable; set DATABASE_SSL_MODE=verify-full to use it',
    ]);
    assert.deepEqual(configProblems({ DATABASE_URL: 'postgres://db/app?sslmode=require', DATABASE_SSL_CA_FILE: pem }), [
      'database.sslCaFile (DATABASE_SSL_CA_FILE): set, but DATABASE_SSL_MODE is require, which does not verify the server; set DATABASE_SSL_MODE=verify-full',
    ]);
  });

  it('applies the same Kafka TLS rules to the scaler', () => {
    assert.deepEqual(configProblems({ SCALER_DEPLOYMENT: 'todo-history', KAFKA_SSL_ENABLED: 'true', KAFKA_SSL_KEY_FILE: key }, loadScalerConfig), [
      'kafka.ssl.certFile (KAFKA_SSL_CERT_FILE): required when KAFKA_SSL_KEY_FILE is set',
    ]);
  });
});
