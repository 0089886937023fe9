import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from '../../src/db/database.js';
import { getGroupLogs, getGroupsSummary } from '../../src/db/read-queries.js';
import { runCli, startCli } from './cli-process.js';
import { groupId, sampleEvents, taskId } from './sample-events.js';
import { startLocalServices } from './services/local-services.js';
import { waitFor } from './system/wait-for.js';

/**
 * `npm start`: the product on real local services. Starts Kafka and PostgreSQL (or uses KAFKA_BROKERS and
 * DATABASE_URL), creates the topics, runs `todo-history migrate latest`, starts `todo-history consume`,
 * feeds it the reference's sample events through Kafka and prints the stored history. Then it keeps
 * feeding an event every two seconds (watch `curl localhost:8080/metrics`) until Ctrl-C; with
 * `--once` it stops after printing.
 */
const once = process.argv.includes('--once');
const topic = process.env.KAFKA_TOPIC ?? 'todo-history-events';
const dlqTopic = process.env.KAFKA_DLQ_TOPIC ?? `${topic}.dlq`;

function say(text: string): void {
  process.stdout.write(`\n== ${text}\n`);
}

const services = await startLocalServices();
const httpPort = process.env.HTTP_PORT ?? '8080';
const env = { KAFKA_BROKERS: services.kafkaBrokers, DATABASE_URL: services.databaseUrl, KAFKA_TOPIC: topic, KAFKA_DLQ_TOPIC: dlqTopic, HTTP_PORT: httpPort };
say(`Kafka at ${services.kafkaBrokers}, PostgreSQL at ${new URL(services.databaseUrl).host}`);

const kafka = new Kafka({ clientId: 'todo-history-demo', brokers: services.kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const producer = kafka.producer();
await Promise.all([admin.connect(), producer.connect()]);
const existing = new Set(await admin.listTopics());
await admin.createTopics({
  waitForLeaders: true,
  topics: [topic, dlqTopic].filter((t) => !existing.has(t)).map((t) => ({ topic: t, numPartitions: 3 })),
});

say('todo-history migrate latest');
const migrated = await runCli(['migrate', 'latest'], env);
process.stdout.write(migrated.output);
if (migrated.code !== 0) throw new Error(`migrate failed with exit code ${String(migrated.code)}`);

say('todo-history consume (its JSON log lines follow)');
const consumer = startCli(['consume'], env, { ownProcessGroup: true });
// Out of the terminal's process group, the consumer must not outlive the demo however it ends.
process.on('exit', () => consumer.child.kill('SIGKILL'));
consumer.child.stdout?.pipe(process.stdout);
consumer.child.stderr?.pipe(process.stderr);

const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: services.databaseUrl, max: 2 }) }) });
const before = (await getGroupLogs(db, groupId, { limit: 10_000 })).length;
const runId = randomUUID().slice(0, 8);
await producer.send({
  topic,
  acks: -1,
  messages: [
    ...sampleEvents.map((event) => ({ key: groupId, value: JSON.stringify(event) })),
    { key: groupId, value: `not json from demo run ${runId}` },
  ],
});
await waitFor(
  'the sample events to be stored',
  () => getGroupLogs(db, groupId, { limit: 10_000 }),
  (logs) => logs.length >= before + sampleEvents.length,
  { timeoutMs: 60_000 },
);

say(`todo_event_logs for group ${groupId} (todo-history logs group ${groupId})`);
process.stdout.write(`${JSON.stringify(await getGroupLogs(db, groupId, { limit: 10 }), null, 2)}\n`);
say('groups summary (todo-history logs groups)');
process.stdout.write(`${JSON.stringify(await getGroupsSummary(db), null, 2)}\n`);

async function shutdown(): Promise<void> {
  consumer.child.kill('SIGTERM');
  await consumer.exited;
  await Promise.all([admin.disconnect(), producer.disconnect(), db.destroy()]);
  await services.stop();
}

if (once) {
  await shutdown();
} else {
  say(`feeding an event every 2 s; metrics on http://localhost:${httpPort}/metrics; Ctrl-C stops everything`);
  const statuses = ['pending', 'in-progress', 'review', 'done'];
  let tick = 0;
  const feeder = setInterval(() => {
    tick += 1;
    const status = statuses[tick % statuses.length] ?? 'done';
    const event = {
      eventType: 'status_changed',
      timestamp: new Date().toISOString(),
      payload: { entity: 'Task', entityId: taskId, groupId, groupName: 'Project Alpha', taskName: 'Implement user authentication', changes: `Status changed to ${status}`, user: 'demo', workspace: 'default' },
    };
    void producer.send({ topic, messages: [{ key: groupId, value: JSON.stringify(event) }] });
  }, 2_000);
  const stop = (): void => {
    clearInterval(feeder);
    void shutdown().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
