import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Kafka, logLevel, Partitioners, type Admin } from 'kafkajs';
import pg from 'pg';
import { isPortAccepting } from '../../deploy/local/system/free-port.js';
import type { KafkaBrokerHandle } from '../../deploy/local/services/kafka-broker.js';
import { startLocalServices, type LocalServices } from '../../deploy/local/services/local-services.js';
import type { PostgresServerHandle } from '../../deploy/local/services/postgres-server.js';

// The first run downloads the Kafka jars from Maven Central (and may apt-get install PostgreSQL).
const STARTUP_TIMEOUT_MS = 15 * 60_000;
const KAFKA_TIMEOUT_MS = 120_000;
const CONSUME_TIMEOUT_MS = 60_000;

describe('startLocalServices with KAFKA_BROKERS and DATABASE_URL set', () => {
  test('uses the given services and starts nothing', async () => {
    const kafkaBrokers = '127.0.0.1:1';
    const databaseUrl = 'postgres://someone:secret@127.0.0.1:1/elsewhere';
    const services = await startLocalServices({ env: { KAFKA_BROKERS: kafkaBrokers, DATABASE_URL: databaseUrl } });
    assert.equal(services.kafkaBrokers, kafkaBrokers);
    assert.equal(services.databaseUrl, databaseUrl);
    assert.equal(services.kafka, undefined);
    assert.equal(services.postgres, undefined);
    await services.stop();
  });
});

describe('startLocalServices without KAFKA_BROKERS and DATABASE_URL', () => {
  let services: LocalServices | undefined;

  before(
    async () => {
      // An empty environment forces real local servers even when the suite runs against external ones.
      services = await startLocalServices({ env: {} });
    },
    { timeout: STARTUP_TIMEOUT_MS },
  );

  after(async () => {
    await services?.stop();
  });

  const started = (): { services: LocalServices; kafka: KafkaBrokerHandle; postgres: PostgresServerHandle } => {
    assert.ok(services?.kafka !== undefined && services.postgres !== undefined, 'both services were started');
    return { services, kafka: services.kafka, postgres: services.postgres };
  };

  test('PostgreSQL answers queries as the postgres superuser in the todo_history database', async () => {
    const { services, postgres } = started();
    assert.equal(services.databaseUrl, postgres.url);
    assert.match(services.databaseUrl, /^postgres:\/\/postgres:postgres@127\.0\.0\.1:\d+\/todo_history$/);
    const row = await queryOne(services.databaseUrl, 'select 1 as one, current_user as "user", current_database() as database');
    assert.deepEqual(row, { one: 1, user: 'postgres', database: 'todo_history' });
  });

  test('PostgreSQL runs with durable writes and the configured limits', async () => {
    const { postgres } = started();
    const row = await queryOne(
      postgres.adminUrl,
      "select current_setting('fsync') as fsync, current_setting('max_connections') as max_connections, current_setting('shared_buffers') as shared_buffers",
    );
    assert.deepEqual(row, { fsync: 'on', max_connections: '200', shared_buffers: '256MB' });
  });

  test('Kafka creates a topic with three partitions', { timeout: KAFKA_TIMEOUT_MS }, async () => {
    const { services } = started();
    const topic = uniqueName('partitions');
    await withAdmin(services.kafkaBrokers, async (admin) => {
      assert.equal(await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3, replicationFactor: 1 }] }), true);
      assert.equal(await partitionCount(admin, topic), 3);
    });
  });

  test('Kafka does not create topics automatically', { timeout: KAFKA_TIMEOUT_MS }, async () => {
    const { services } = started();
    const topic = uniqueName('never-created');
    const producer = kafkaClient(services.kafkaBrokers).producer({ createPartitioner: Partitioners.DefaultPartitioner, retry: { retries: 1 } });
    await producer.connect();
    try {
      await assert.rejects(producer.send({ topic, messages: [{ value: 'lost' }] }));
    } finally {
      await producer.disconnect();
    }
    await withAdmin(services.kafkaBrokers, async (admin) => assert.ok(!(await admin.listTopics()).includes(topic)));
  });

  test('a produced message is consumed back by a consumer group', { timeout: KAFKA_TIMEOUT_MS }, async () => {
    const { services } = started();
    const topic = await createTopic(services.kafkaBrokers, uniqueName('roundtrip'), 3);
    await produce(services.kafkaBrokers, topic, 'todo-1', 'created');
    assert.deepEqual(await consumeFirst(services.kafkaBrokers, topic), { key: 'todo-1', value: 'created' });
  });

  test('a broker stop() and start() keeps topics and messages on the same address', { timeout: KAFKA_TIMEOUT_MS * 2 }, async () => {
    const { services, kafka } = started();
    const topic = await createTopic(services.kafkaBrokers, uniqueName('restart'), 3);
    await produce(services.kafkaBrokers, topic, 'todo-2', 'before restart');

    await kafka.stop();
    assert.equal(kafka.isRunning, false);
    assert.equal(await isPortAccepting(kafka.port), false);

    await kafka.start();
    assert.equal(kafka.isRunning, true);
    assert.equal(services.kafkaBrokers, kafka.brokers);
    await withAdmin(services.kafkaBrokers, async (admin) => assert.equal(await partitionCount(admin, topic), 3));
    assert.deepEqual(await consumeFirst(services.kafkaBrokers, topic), { key: 'todo-2', value: 'before restart' });
  });

  test('a broker kill() and start() keeps acknowledged messages', { timeout: KAFKA_TIMEOUT_MS * 2 }, async () => {
    const { services, kafka } = started();
    const topic = await createTopic(services.kafkaBrokers, uniqueName('crash'), 1);
    await produce(services.kafkaBrokers, topic, 'todo-3', 'before crash');

    await kafka.kill();
    assert.equal(kafka.isRunning, false);

    await kafka.start();
    assert.deepEqual(await consumeFirst(services.kafkaBrokers, topic), { key: 'todo-3', value: 'before crash' });
  });

  test('a PostgreSQL stop() and start() keeps committed rows', async () => {
    const { services, postgres } = started();
    const table = `restart_${randomUUID().replaceAll('-', '')}`;
    await queryOne(services.databaseUrl, `create table ${table} (id int primary key)`);
    await queryOne(services.databaseUrl, `insert into ${table} select generate_series(1, 3)`);

    await postgres.stop();
    assert.equal(postgres.isRunning, false);
    await assert.rejects(queryOne(services.databaseUrl, 'select 1'));

    await postgres.start();
    assert.deepEqual(await queryOne(services.databaseUrl, `select count(*)::int as rows from ${table}`), { rows: 3 });
  });

  test('a PostgreSQL kill() and start() recovers committed rows', async () => {
    const { services, postgres } = started();
    const table = `crash_${randomUUID().replaceAll('-', '')}`;
    await queryOne(services.databaseUrl, `create table ${table} (id int primary key)`);
    await queryOne(services.databaseUrl, `insert into ${table} select generate_series(1, 5)`);

    await postgres.kill();
    assert.equal(postgres.isRunning, false);

    await postgres.start();
    assert.deepEqual(await queryOne(services.databaseUrl, `select count(*)::int as rows from ${table}`), { rows: 5 });
  });
});

function uniqueName(prefix: string): string {
  return `local-services-${prefix}-${randomUUID()}`;
}

async function queryOne(url: string, sql: string): Promise<Record<string, unknown> | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const result = await client.query<Record<string, unknown>>(sql);
    return result.rows[0];
  } finally {
    await client.end();
  }
}

function kafkaClient(brokers: string): Kafka {
  return new Kafka({ clientId: 'local-services-test', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
}

async function withAdmin<T>(brokers: string, use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafkaClient(brokers).admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

async function partitionCount(admin: Admin, topic: string): Promise<number | undefined> {
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  return metadata.topics.find((entry) => entry.name === topic)?.partitions.length;
}

async function createTopic(brokers: string, topic: string, numPartitions: number): Promise<string> {
  await withAdmin(brokers, (admin) => admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions, replicationFactor: 1 }] }));
  return topic;
}

async function produce(brokers: string, topic: string, key: string, value: string): Promise<void> {
  const producer = kafkaClient(brokers).producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [{ key, value }] });
  } finally {
    await producer.disconnect();
  }
}

/** Joins a new consumer group, reads the topic from the beginning and returns the first message. */
async function consumeFirst(brokers: string, topic: string): Promise<{ key: string | undefined; value: string | undefined }> {
  const consumer = kafkaClient(brokers).consumer({ groupId: uniqueName('group'), maxWaitTimeInMs: 200 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no message arrived from ${topic} within ${CONSUME_TIMEOUT_MS} ms`)), CONSUME_TIMEOUT_MS);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            clearTimeout(timer);
            resolve({ key: message.key?.toString(), value: message.value?.toString() });
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
}
