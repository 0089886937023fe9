import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startCli, type CliProcess } from '../../deploy/local/cli-process.js';
import { findFreePort } from '../../deploy/local/system/free-port.js';
import { waitFor } from '../../deploy/local/system/wait-for.js';
import { assertStoredExactlyOnce } from '../support/exactly-once.js';
import { getProbe } from '../support/probes.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { brokers, TestTopics } from '../support/test-topics.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { todoEvents } from '../support/todo-event-stream.js';

const outageMs = 40_000;

function portOf(hostPort: string): number {
  return Number(hostPort.slice(hostPort.lastIndexOf(':') + 1));
}

function throughProxy(url: string, proxy: TcpProxy): string {
  const parsed = new URL(url);
  parsed.port = String(proxy.port);
  return parsed.toString();
}

/**
 * Starts a consumer, with no supervisor, while `service` is down behind `proxy`; keeps it down for 40 s,
 * then checks that every event produced before and after is stored exactly once, and that the consumer
 * never exited.
 */
function startupOutageSuite(service: 'database' | 'kafka', reachableOnlyThrough: (proxy: TcpProxy, topics: TestTopics, database: TestDatabase) => Record<string, string>, targetPort: () => number): void {
  describe(`consume started while ${service === 'database' ? 'PostgreSQL' : 'Kafka'} is down for ${outageMs / 1000} s`, () => {
    let database: TestDatabase;
    let topics: TestTopics;
    let proxy: TcpProxy;
    let consumer: CliProcess;
    let port: number;

    before(async () => {
      database = await createTestDatabase();
      topics = new TestTopics();
      await topics.create(3);
      proxy = await TcpProxy.start(targetPort());
      await proxy.cut();
      port = await findFreePort();
      await topics.produce(todoEvents(0, 200));
      consumer = startCli(['consume'], {
        ...topics.consumerEnv(),
        DATABASE_URL: database.url,
        ...reachableOnlyThrough(proxy, topics, database),
        KAFKA_SESSION_TIMEOUT_MS: '6000',
        KAFKA_HEARTBEAT_INTERVAL_MS: '1000',
        RETRY_INITIAL_DELAY_MS: '250',
        RETRY_MAX_DELAY_MS: '4000',
        LAG_POLL_INTERVAL_MS: '1000',
        HTTP_PORT: String(port),
      });
    });

    after(async () => {
      consumer.child.kill('SIGKILL');
      await consumer.exited;
      await proxy.close();
      await topics.close();
      await database.drop();
    });

    it('waits it out, not ready and saying why, and stores every event once it is back, without exiting', async () => {
      const started = Date.now();
      const notReady = await waitFor(
        `/readyz to name the ${service}`,
        () => getProbe(port, '/readyz'),
        (probe) => probe.status === 503 && probe.body.startsWith(`starting: ${service}: `),
        { timeoutMs: outageMs },
      );
      assert.match(notReady.body, /retrying in \d+ ms/);
      const during = await waitFor(
        'the outage to last its time, or the consumer to exit',
        async () => ({ elapsedMs: Date.now() - started, exitCode: consumer.child.exitCode, live: (await getProbe(port, '/livez')).status }),
        (state) => state.elapsedMs >= outageMs || state.exitCode !== null,
        { timeoutMs: outageMs + 10_000, intervalMs: 1_000 },
      );
      assert.equal(during.exitCode, null, `the consumer exited during the outage:\n${consumer.output()}`);
      assert.equal(during.live, 200, 'a consumer waiting for its dependencies is alive');
      await topics.produce(todoEvents(200, 100));

      await proxy.restore();
      await waitFor('every event to be stored', () => database.rowCount(), (n) => n === 300, { timeoutMs: 120_000, intervalMs: 500 });
      await waitFor('offsets to be committed to the end', () => topics.committedOffsets(), (c) => [...c.values()].reduce((s, o) => s + Number(o), 0) === 300, { timeoutMs: 30_000 });
      assert.equal(await assertStoredExactlyOnce(database, topics), 300);
      await waitFor('/readyz to turn 200', () => getProbe(port, '/readyz'), (probe) => probe.status === 200, { timeoutMs: 30_000 });

      assert.equal(consumer.child.exitCode, null, 'the consumer never exited');
      const lines = consumer.logLines();
      assert.deepEqual(lines.filter((line) => line.level === 'fatal'), [], 'nothing fatal was logged');
      assert.ok(lines.some((line) => line.step === service && String(line.msg).startsWith(`cannot start yet: ${service}: `)), 'each failed try is logged with what it waits for');
    });
  });
}

startupOutageSuite(
  'database',
  (proxy, _topics, database) => ({ DATABASE_URL: throughProxy(database.url, proxy) }),
  () => Number(new URL(process.env.DATABASE_URL ?? '').port),
);

startupOutageSuite(
  'kafka',
  (proxy) => ({ KAFKA_BROKERS: `127.0.0.1:${proxy.port}` }),
  () => portOf(brokers()[0] ?? ''),
);
