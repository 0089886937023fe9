import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config/config-error.js';
import { configKeys } from '../../src/config/config-keys.js';
import { loadConfig } from '../../src/config/load-config.js';
import { redactConfig } from '../../src/config/redact-config.js';
import { configProblems } from '../support/config-problems.js';

const problemsOf = (env: Record<string, string>): readonly string[] => configProblems(env);

function secretFile(content: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'todo-history-config-')), 'secret');
  writeFileSync(file, content);
  return file;
}

describe('loadConfig', () => {
  it('defaults to the Go service\'s broker, topic, group and database, so it takes over its offsets', () => {
    const config = loadConfig({});
    assert.deepEqual(config.kafka.brokers, ['localhost:9092']);
    assert.equal(config.kafka.topic, 'todo-history-events');
    assert.equal(config.kafka.groupId, 'todo-consumer-group-go');
    assert.equal(config.kafka.dlqTopic, 'todo-history-events.dlq');
    const url = new URL(config.database.url);
    assert.equal(`${url.hostname}:${url.port}${url.pathname}`, 'localhost:5432/todo_history');
  });

  it('reads every setting from its environment variable, coercing numbers, flags and lists', () => {
    const config = loadConfig({
      KAFKA_BROKERS: 'a:9092, b:9093',
      KAFKA_FROM_BEGINNING: 'false',
      KAFKA_SESSION_TIMEOUT_MS: '45000',
      DATABASE_URL: 'postgresql://app@db.internal:6432/history',
      LOG_LEVEL: 'debug',
    });
    assert.deepEqual(config.kafka.brokers, ['a:9092', 'b:9093']);
    assert.equal(config.kafka.fromBeginning, false);
    assert.equal(config.kafka.sessionTimeoutMs, 45_000);
    assert.equal(config.database.url, 'postgresql://app@db.internal:6432/history');
    assert.equal(config.log.level, 'debug');
  });

  it('names every bad key with its variable in one error', () => {
    const problems = problemsOf({
      KAFKA_BROKERS: 'not a broker',
      KAFKA_FROM_BEGINNING: 'yes',
      DATABASE_POOL_SIZE: '0',
      LOG_LEVEL: 'loud',
      KAFKA_TOPIC: 'bad topic!',
    });
    assert.equal(problems.length, 5);
    for (const name of ['KAFKA_BROKERS', 'KAFKA_FROM_BEGINNING', 'DATABASE_POOL_SIZE', 'LOG_LEVEL', 'KAFKA_TOPIC']) {
      assert.ok(problems.some((p) => p.includes(`(${name})`)), `${name} is named in ${problems.join(' | ')}`);
    }
  });

  it('never prints a secret value, even when it is the invalid one', () => {
    const error = (() => {
      try {
        loadConfig({ DATABASE_URL: 'mysql://root:hunter2@db/x', KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_PASSWORD: 's3cret-pass' });
      } catch (e) {
        return e as ConfigError;
      }
      assert.fail('expected a ConfigError');
    })();
    assert.match(error.message, /DATABASE_URL/);
    assert.doesNotMatch(error.message, /hunter2|s3cret-pass/);
  });

  it('requires SASL credentials when a mechanism is chosen', () => {
    const problems = problemsOf({ KAFKA_SASL_MECHANISM: 'scram-sha-512' });
    assert.deepEqual(problems.map((p) => p.split(':')[0]), ['kafka.sasl.username (KAFKA_SASL_USERNAME)', 'kafka.sasl.password (KAFKA_SASL_PASSWORD)']);
  });

  it('reads secrets from the file named by <VAR>_FILE, as a mounted Secret', () => {
    const config = loadConfig({
      DATABASE_PASSWORD_FILE: secretFile('from-file\n'),
      DATABASE_URL_FILE: secretFile('postgres://app@db:5432/todo_history'),
    });
    assert.equal(config.database.password, 'from-file');
    assert.equal(config.database.url, 'postgres://app@db:5432/todo_history');
  });

  it('refuses a secret given both inline and by file, and a secret file that cannot be read', () => {
    const problems = problemsOf({ DATABASE_PASSWORD: 'x', DATABASE_PASSWORD_FILE: secretFile('y'), KAFKA_SASL_PASSWORD_FILE: '/nonexistent/secret' });
    assert.equal(problems.length, 2);
    assert.ok(problems.some((p) => /DATABASE_PASSWORD, DATABASE_PASSWORD_FILE\): set only one/.test(p)), problems.join(' | '));
    assert.ok(problems.some((p) => /KAFKA_SASL_PASSWORD_FILE\): cannot read .*ENOENT/.test(p)), problems.join(' | '));
  });

  it('offers a _FILE variable exactly for the secret settings', () => {
    assert.deepEqual(configKeys.filter((k) => k.sensitive).map((k) => k.env), ['KAFKA_SASL_PASSWORD', 'DATABASE_URL', 'DATABASE_PASSWORD']);
  });

  it('documents every setting', () => {
    for (const key of configKeys) assert.ok(key.doc.length > 10 && /^[A-Z][A-Z0-9_]+$/.test(key.env), key.key);
  });
});

describe('redactConfig', () => {
  it('hides passwords in the URL and in the password settings, and keeps the rest', () => {
    const redacted = redactConfig(
      loadConfig({ DATABASE_URL: 'postgres://app:hunter2@db:5432/h', DATABASE_PASSWORD: 'pw', KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'kpw' }),
    );
    const text = JSON.stringify(redacted);
    assert.doesNotMatch(text, /hunter2|"pw"|kpw/);
    assert.equal(redacted.database.url, 'postgres://app:%5Bredacted%5D@db:5432/h');
    assert.equal(redacted.kafka.sasl.username, 'u');
  });
});
