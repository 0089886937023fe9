import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { waitFor } from '../../deploy/local/system/wait-for.js';
import { assertStoredExactlyOnce } from '../support/exactly-once.js';
import { todoEvents } from '../support/todo-event-stream.js';
import { helm, kubectl } from './support/cluster-commands.js';
import { deploymentState, eventReasons, readyPods } from './support/cluster-state.js';
import { installRelease, type TestRelease } from './support/release.js';
import { pinnedTestNode } from '../support/test-node-version.js';

const PARTITIONS = 3;
const EVENTS = 600;
/** The image is built on stand-ins that carry the tests' own Node, as the public base images carry Node 24. */
const TEST_NODE = pinnedTestNode(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));

for (const existingSecret of [true, false]) {
  describe(`helm install with ${existingSecret ? 'an existing Secret' : 'a chart-created Secret'}`, () => {
    let release: TestRelease;
    before(async () => {
      release = await installRelease({ partitions: PARTITIONS, existingSecret });
    });
    after(async () => {
      await release.remove();
    });

    it('runs the migration hook Job to completion before the consumers start', async () => {
      assert.ok((await eventReasons(release.namespace, 'Job')).includes('Completed'), 'the Job controller recorded the migration Job as completed');
      const { rows } = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(release.database.db);
      assert.ok(rows.length > 0, 'the migrations are recorded as applied');
      await sql`SELECT 1 FROM todo_event_logs LIMIT 1`.execute(release.database.db);
    });

    it('makes as many Ready consumer replicas as the topic has partitions', async () => {
      assert.deepEqual(await deploymentState(release.namespace, release.deployment), { replicas: PARTITIONS, readyReplicas: PARTITIONS });
      assert.equal((await readyPods(release.namespace, 'consumer')).length, PARTITIONS);
    });

    it('passes helm test: the database and its schema, the brokers and the topic\'s partition count', async () => {
      const result = await helm('test', release.name, '--namespace', release.namespace, '--timeout', '3m');
      assert.equal(result.exitCode, 0, `${result.stdout}\n${result.stderr}`);
      for (const check of ['test-schema', 'test-kafka']) {
        assert.match(result.stdout, new RegExp(`TEST SUITE:\\s+${release.deployment}-${check}\\n(?:.*\\n){0,3}?Phase:\\s+Succeeded`), result.stdout);
      }
    });

    it('runs the consumer as a non-root user on a read-only root filesystem', async () => {
      const [pod = ''] = await readyPods(release.namespace, 'consumer');
      const node = ['-n', release.namespace, 'exec', pod, '--', '/nodejs/bin/node', '-e'];
      assert.equal((await kubectl(...node, 'process.stdout.write(String(process.getuid()))')).trim(), '65532');
      const write = await kubectl(...node, 'try { require("node:fs").writeFileSync("/app/probe", ""); process.stdout.write("written") } catch (e) { process.stdout.write(e.code) }');
      assert.equal(write.trim(), 'EROFS');
    });

    it('runs the consumer on the Node the tests run on', async () => {
      const [pod = ''] = await readyPods(release.namespace, 'consumer');
      assert.equal((await kubectl('-n', release.namespace, 'exec', pod, '--', '/nodejs/bin/node', '--version')).trim(), `v${TEST_NODE}`);
    });

    it('stores every event produced into Kafka as exactly one row', async () => {
      await release.topics.produce(todoEvents(0, EVENTS, release.namespace));
      await waitFor('every event to be stored', () => release.database.rowCount(), (rows) => rows >= EVENTS, { timeoutMs: 120_000, intervalMs: 500 });
      assert.equal(await assertStoredExactlyOnce(release.database, release.topics), EVENTS);
    });
  });
}
