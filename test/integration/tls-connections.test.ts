import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { runCli, startCli, type CliProcess } from '../../deploy/local/cli-process.js';
import { findFreePort } from '../../deploy/local/system/free-port.js';
import { waitFor } from '../../deploy/local/system/wait-for.js';
import { loadScalerConfig } from '../../src/config/scaler-config-schema.js';
import { ConnectionFailure } from '../../src/connection/connection-failure.js';
import { createKafka } from '../../src/kafka/create-kafka.js';
import { createLogger } from '../../src/logging/create-logger.js';
import { PartitionCounter } from '../../src/scaler/partition-counter.js';
import { kafkaErrorKind } from '../../src/scaler/scaler-error.js';
import { createTestDatabase, serverUrl, type TestDatabase } from '../support/test-database.js';
import { TestTopics } from '../support/test-topics.js';
import { todoEvents } from '../support/todo-event-stream.js';
import { byLoopbackAddress, plainUserKafka, tlsServices, type TlsServices } from '../support/tls-services.js';

const eventCount = 2_000;

/** The server's port, from an address such as localhost:PORT or a URL. */
function portOf(address: string): string {
  return /:(\d+)(\/|$)/.exec(address)?.[1] ?? '';
}

/** A database owned by the TLS-only role, so that `migrate` can run as that role; dropped by the returned function. */
async function createTlsOwnedDatabase(tls: TlsServices): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `tls_${randomUUID().replaceAll('-', '')}`;
  const role = decodeURIComponent(new URL(tls.databaseUrl).username);
  const admin = new pg.Client({ connectionString: serverUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} OWNER ${admin.escapeIdentifier(role)}`);
  await admin.end();
  const url = new URL(tls.databaseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: serverUrl() });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** How a one-shot command or a failed start ended: its exit code, its failure lines, and every line. */
interface Outcome {
  code: number | null;
  output: string;
  lines: Record<string, unknown>[];
}

function outcomeOf(code: number | null, output: string): Outcome {
  const lines = output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { code, output, lines };
}

async function run(args: string[], env: Record<string, string>): Promise<Outcome> {
  const { code, output } = await runCli(args, env);
  return outcomeOf(code, output);
}

/**
 * The failure was reported in exactly one line of ours, this one, with no stack, no secret and no
 * retry: nothing else on stdout or stderr but JSON log lines.
 */
function assertOneClearFailure(outcome: Outcome, expected: { level: string; code: string; msg: string }, secrets: readonly string[]): void {
  assert.equal(outcome.code, 1, outcome.output);
  const ours = outcome.lines.filter((line) => line.component !== 'kafkajs' && (line.level === 'fatal' || line.level === 'error'));
  assert.deepEqual(
    ours.map(({ level, code, msg }) => ({ level, code, msg })),
    [expected],
  );
  for (const secret of secrets) assert.ok(!outcome.output.includes(secret), 'a secret reached the output');
  assert.deepEqual(
    outcome.output.split('\n').filter((line) => line !== '' && !line.startsWith('{')),
    [],
    'only JSON log lines, no stack trace',
  );
  assert.ok(outcome.lines.every((line) => !('stack' in line) && !('err' in line)), 'no stack or serialised error in any line');
  assert.ok(!outcome.lines.some((line) => String(line.msg).startsWith('cannot start yet')), 'a wrong certificate or password is not retried');
}

describe('TLS and SASL against servers that speak them: SASL_SSL Kafka (SCRAM-SHA-512), PostgreSQL with ssl=on', () => {
  const tls = tlsServices();
  let httpPort: number;

  const kafkaTlsEnv = (): Record<string, string> => ({
    KAFKA_BROKERS: tls.saslSslBrokers,
    KAFKA_SSL_ENABLED: 'true',
    KAFKA_SSL_CA_FILE: tls.caFile,
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: tls.scram.username,
    KAFKA_SASL_PASSWORD: tls.scram.password,
  });
  const databaseTlsEnv = (url: string): Record<string, string> => ({ DATABASE_URL: url, DATABASE_SSL_MODE: 'verify-full', DATABASE_SSL_CA_FILE: tls.caFile });

  before(async () => {
    httpPort = await findFreePort();
  });

  describe('end to end over TLS', () => {
    let database: { url: string; drop: () => Promise<void> };
    let topics: TestTopics;
    let consumer: CliProcess | undefined;

    before(async () => {
      database = await createTlsOwnedDatabase(tls);
      topics = new TestTopics();
      await topics.create(3);
      // Produced over SASL_SSL too, as the PLAIN user.
      const producer = plainUserKafka(tls).producer({ allowAutoTopicCreation: false });
      await producer.connect();
      const events = todoEvents(0, eventCount);
      for (let start = 0; start < events.length; start += 500) {
        await producer.send({ topic: topics.topic, acks: -1, messages: events.slice(start, start + 500) });
      }
      await producer.disconnect();
    });

    after(async () => {
      consumer?.child.kill('SIGKILL');
      await topics.close();
      await database.drop();
    });

    it('migrate latest runs as the TLS-only role with DATABASE_SSL_MODE=verify-full', async () => {
      const outcome = await run(['migrate', 'latest'], databaseTlsEnv(database.url));
      assert.equal(outcome.code, 0, outcome.output);
      assert.ok(outcome.lines.some((line) => String(line.msg).startsWith('schema migrated')), outcome.output);
    });

    it('consume stores every event read over SASL_SSL (SCRAM-SHA-512) into a verify-full PostgreSQL and commits its offsets', async () => {
      consumer = startCli(['consume'], { ...kafkaTlsEnv(), ...databaseTlsEnv(database.url), KAFKA_TOPIC: topics.topic, KAFKA_DLQ_TOPIC: topics.dlqTopic, KAFKA_GROUP_ID: topics.groupId, HTTP_PORT: String(httpPort) });
      const ends = await topics.endOffsets();
      await waitFor(
        'committed offsets at the end of every partition',
        () => topics.committedOffsets(),
        (committed) => [...ends].every(([partition, end]) => committed.get(partition) === end),
        { timeoutMs: 60_000 },
      );
      const asSuperuser = new URL(serverUrl());
      asSuperuser.pathname = new URL(database.url).pathname;
      const client = new pg.Client({ connectionString: asSuperuser.toString() });
      await client.connect();
      try {
        const { rows } = await client.query<{ count: string; offsets: string }>('SELECT count(*) AS count, count(DISTINCT (kafka_partition, kafka_offset)) AS offsets FROM todo_event_logs');
        assert.deepEqual(rows[0], { count: String(eventCount), offsets: String(eventCount) });
      } finally {
        await client.end();
      }
      consumer.child.kill('SIGTERM');
      assert.equal(await consumer.exited, 0, consumer.output());
      consumer = undefined;
    });

    it('logs reads the history back over TLS', async () => {
      const { code, output } = await runCli(['logs', 'groups', '--limit', '5'], databaseTlsEnv(database.url));
      assert.equal(code, 0, output);
      const summary = JSON.parse(output.slice(output.indexOf('['), output.lastIndexOf(']') + 1)) as unknown[];
      assert.ok(summary.length > 0, output);
    });

    it("the scaler's Kafka client reads the partition count over SASL_SSL, with a client certificate too, and names an unknown CA", async () => {
      const logger = createLogger('silent');
      const counterWith = (env: Record<string, string>): PartitionCounter => {
        const config = loadScalerConfig({ SCALER_DEPLOYMENT: 'todo-history', KAFKA_TOPIC: topics.topic, ...env });
        return new PartitionCounter(createKafka(config.kafka, logger, { retry: { retries: 0 } }), config.kafka, config.kafka.topic);
      };
      const counter = counterWith(kafkaTlsEnv());
      try {
        assert.equal(await counter.count(10_000), 3);
      } finally {
        await counter.close();
      }
      // The listener verifies a client certificate that is presented (ssl.client.auth=requested): this one is its CA's.
      const mutual = counterWith({ ...kafkaTlsEnv(), KAFKA_SSL_CERT_FILE: tls.clientCertFile, KAFKA_SSL_KEY_FILE: tls.clientKeyFile });
      try {
        assert.equal(await mutual.count(10_000), 3);
      } finally {
        await mutual.close();
      }
      const untrusting = counterWith({ ...kafkaTlsEnv(), KAFKA_SSL_CA_FILE: tls.unrelatedCaFile });
      try {
        await assert.rejects(untrusting.count(10_000), (error: unknown) => {
          assert.ok(error instanceof ConnectionFailure);
          assert.equal(error.code, 'tls_unknown_ca');
          assert.equal(kafkaErrorKind(error), 'kafka_rejected');
          return true;
        });
      } finally {
        await untrusting.close();
      }
    });
  });

  describe('a wrong setting ends the start at once, in one line naming it, without the secret', () => {
    let database: TestDatabase;
    let topics: TestTopics;

    before(async () => {
      database = await createTestDatabase();
      topics = new TestTopics();
      await topics.create(1);
    });

    after(async () => {
      await topics.close();
      await database.drop();
    });

    const consume = (overrides: Record<string, string>): Promise<Outcome> =>
      run(['consume'], { ...topics.consumerEnv(), ...kafkaTlsEnv(), DATABASE_URL: database.url, HTTP_PORT: String(httpPort), ...overrides });
    const brokerPort = (): string => portOf(tls.saslSslBrokers);

    it('consume: a wrong KAFKA_SASL_PASSWORD', async () => {
      const wrongPassword = `wrong-${randomUUID()}`;
      const outcome = await consume({ KAFKA_SASL_PASSWORD: wrongPassword });
      assertOneClearFailure(
        outcome,
        {
          level: 'fatal',
          code: 'authentication_failed',
          msg: `cannot start: Kafka broker ${tls.saslSslBrokers}: authentication failed with KAFKA_SASL_MECHANISM=scram-sha-512: check KAFKA_SASL_USERNAME ("${tls.scram.username}") and KAFKA_SASL_PASSWORD`,
        },
        [wrongPassword, tls.scram.password],
      );
    });

    it('consume: an unknown CA in KAFKA_SSL_CA_FILE, caught before kafkajs retries it', async () => {
      const outcome = await consume({ KAFKA_SSL_CA_FILE: tls.unrelatedCaFile });
      assertOneClearFailure(
        outcome,
        {
          level: 'fatal',
          code: 'tls_unknown_ca',
          msg: `cannot start: Kafka broker ${tls.saslSslBrokers}: unknown CA: its certificate is not signed by a CA in KAFKA_SSL_CA_FILE (${tls.unrelatedCaFile}); set KAFKA_SSL_CA_FILE to the PEM file of the CA that signed it`,
        },
        [tls.scram.password],
      );
      assert.deepEqual(outcome.lines.filter((line) => line.component === 'kafkajs'), [], 'kafkajs never tried to connect');
    });

    it('consume: a host name in KAFKA_BROKERS that the certificate does not list', async () => {
      const outcome = await consume({ KAFKA_BROKERS: byLoopbackAddress(tls.saslSslBrokers) });
      assertOneClearFailure(
        outcome,
        {
          level: 'fatal',
          code: 'tls_host_name_mismatch',
          msg: `cannot start: Kafka broker 127.0.0.1:${brokerPort()}: host name mismatch: its certificate is not issued for 127.0.0.1 (it names DNS:localhost); connect by a name the certificate lists (KAFKA_BROKERS)`,
        },
        [tls.scram.password],
      );
    });

    const databasePort = (): string => portOf(tls.databaseUrl);
    const password = (): string => decodeURIComponent(new URL(tls.databaseUrl).password);
    const role = (): string => decodeURIComponent(new URL(tls.databaseUrl).username);

    it('migrate: a wrong password', async () => {
      const wrongPassword = `wrong-${randomUUID()}`;
      const outcome = await run(['migrate', 'status'], { ...databaseTlsEnv(tls.databaseUrl), DATABASE_PASSWORD: wrongPassword });
      assertOneClearFailure(
        outcome,
        {
          level: 'error',
          code: 'authentication_failed',
          msg: `migrate failed: PostgreSQL localhost:${databasePort()}: authentication failed: password authentication failed for user "${role()}"; check the user ("${role()}") and password in DATABASE_URL, or DATABASE_PASSWORD`,
        },
        [wrongPassword, password()],
      );
    });

    it('migrate: an unknown CA in DATABASE_SSL_CA_FILE', async () => {
      const outcome = await run(['migrate', 'status'], { ...databaseTlsEnv(tls.databaseUrl), DATABASE_SSL_CA_FILE: tls.unrelatedCaFile });
      assertOneClearFailure(
        outcome,
        {
          level: 'error',
          code: 'tls_unknown_ca',
          msg: `migrate failed: PostgreSQL localhost:${databasePort()}: unknown CA: its certificate is not signed by a CA in DATABASE_SSL_CA_FILE (${tls.unrelatedCaFile}); set DATABASE_SSL_CA_FILE to the PEM file of the CA that signed it`,
        },
        [password()],
      );
    });

    it('migrate: a host name in DATABASE_URL that the certificate does not list', async () => {
      const outcome = await run(['migrate', 'status'], databaseTlsEnv(byLoopbackAddress(tls.databaseUrl)));
      assertOneClearFailure(
        outcome,
        {
          level: 'error',
          code: 'tls_host_name_mismatch',
          msg: `migrate failed: PostgreSQL 127.0.0.1:${databasePort()}: host name mismatch: its certificate is not issued for 127.0.0.1 (it names DNS:localhost); connect by a name the certificate lists (the host in DATABASE_URL)`,
        },
        [password()],
      );
    });

    it('logs: a role that pg_hba.conf admits only over TLS, with DATABASE_SSL_MODE left at disable', async () => {
      const outcome = await run(['logs', 'groups'], { DATABASE_URL: tls.databaseUrl });
      assertOneClearFailure(
        outcome,
        {
          level: 'error',
          code: 'tls_required',
          msg: `query failed: PostgreSQL localhost:${databasePort()}: the server accepts this user only over TLS (pg_hba.conf: pg_hba.conf rejects connection for host "127.0.0.1", user "${role()}", database "todo_history", no encryption); set DATABASE_SSL_MODE=verify-full`,
        },
        [password()],
      );
    });
  });
});
