import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { waitFor } from '../../deploy/local/system/wait-for.js';
import { assertStoredExactlyOnce } from '../support/exactly-once.js';
import { todoEvents } from '../support/todo-event-stream.js';
import { CHART_DIR, helm, kubectl, setValues } from './support/cluster-commands.js';
import { clusterSessionEnv } from './support/cluster-session-env.js';
import { podStates, type PodState } from './support/cluster-state.js';
import { imageValues, installRelease, type TestRelease } from './support/release.js';

const PARTITIONS = 2;
const EVENTS = 200;
const EXTRA_MIGRATION = '2099-01-01T00-00-00_add-test-column';
const HELM_TIMEOUT = '5m';
const SETTLE_TIMEOUT_MS = 120_000;
const WATCH_INTERVAL_MS = 300;

describe('helm upgrade to a build with one more additive migration, then helm rollback', () => {
  const session = clusterSessionEnv();
  let release: TestRelease;
  before(async () => {
    release = await installRelease({ partitions: PARTITIONS, existingSecret: true });
  });
  after(async () => {
    await release.remove();
  });

  const upgradeTo = (image: string): ReturnType<typeof helm> =>
    helm('upgrade', release.name, CHART_DIR, '--namespace', release.namespace, '--reuse-values', '--wait', '--timeout', HELM_TIMEOUT, ...setValues(imageValues(image)));
  const appliedMigrations = async (): Promise<string[]> =>
    (await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(release.database.db)).rows.map((row) => row.name);
  /** The consumer pods once every one left is Ready and runs `image`. */
  const settledOn = (image: string): Promise<PodState[]> =>
    waitFor(
      `${PARTITIONS} Ready consumers on ${image}`,
      () => podStates(release.namespace, 'consumer'),
      (pods) => pods.length === PARTITIONS && pods.every((pod) => pod.ready && !pod.terminating && pod.images.every((used) => used === image)),
      { timeoutMs: SETTLE_TIMEOUT_MS, intervalMs: 500 },
    );

  it('keeps every old pod Ready after the hook moved the schema ahead, until it is replaced', async () => {
    const oldPods = (await settledOn(session.image)).map((pod) => pod.name);
    const unready = new Set<string>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        for (const pod of await podStates(release.namespace, 'consumer')) {
          if (oldPods.includes(pod.name) && !pod.terminating && !pod.ready) unready.add(pod.name);
        }
        await new Promise((resolve) => setTimeout(resolve, WATCH_INTERVAL_MS));
      }
    })();
    let upgrade: Awaited<ReturnType<typeof helm>>;
    try {
      upgrade = await upgradeTo(session.upgradeImage);
    } finally {
      watching = false;
      await watcher;
    }
    assert.equal(upgrade.exitCode, 0, `${upgrade.stdout}\n${upgrade.stderr}`);
    assert.ok((await appliedMigrations()).includes(EXTRA_MIGRATION), 'the pre-upgrade hook ran the extra migration');
    assert.deepEqual([...unready], [], 'no old consumer turned unready before it was deleted');
    await settledOn(session.upgradeImage);
  });

  it('rolls back to the old build, whose pods run on the newer schema without a restart', async () => {
    const rollback = await helm('rollback', release.name, '1', '--namespace', release.namespace, '--wait', '--timeout', HELM_TIMEOUT);
    assert.equal(rollback.exitCode, 0, `${rollback.stdout}\n${rollback.stderr}`);
    await settledOn(session.image);
    await release.topics.produce(todoEvents(0, EVENTS, release.namespace));
    await waitFor('every event to be stored', () => release.database.rowCount(), (rows) => rows >= EVENTS, { timeoutMs: SETTLE_TIMEOUT_MS, intervalMs: 500 });
    assert.equal(await assertStoredExactlyOnce(release.database, release.topics), EVENTS);
    const pods = await podStates(release.namespace, 'consumer');
    assert.deepEqual(pods.map((pod) => ({ ready: pod.ready, restarts: pod.restarts })), pods.map(() => ({ ready: true, restarts: 0 })), 'every old-build consumer is Ready and never restarted');
    assert.ok((await appliedMigrations()).includes(EXTRA_MIGRATION), 'the rollback left the newer schema in place');
  });

  it('runs the old build\'s migrate latest on the newer schema as a no-op, in the next upgrade\'s hook', async () => {
    const appliedBefore = await appliedMigrations();
    const upgrade = await upgradeTo(session.image);
    assert.equal(upgrade.exitCode, 0, `${upgrade.stdout}\n${upgrade.stderr}`);
    assert.deepEqual(await appliedMigrations(), appliedBefore);
    const migrationPodImages = JSON.parse(await kubectl('-n', release.namespace, 'get', 'events', '--field-selector', 'involvedObject.kind=Pod,reason=Pulled', '-o', 'json')) as {
      items: { involvedObject: { name: string }; message?: string }[];
    };
    const hookPulls = migrationPodImages.items.filter((event) => event.involvedObject.name.includes('migrate')).map((event) => event.message ?? '');
    assert.ok(hookPulls.filter((message) => message.includes(`"${session.image}"`)).length >= 2, `the install's and this upgrade's hook pods ran ${session.image}: ${hookPulls.join('; ')}`);
    const pods = await settledOn(session.image);
    assert.ok(pods.every((pod) => pod.restarts === 0), 'no consumer restarted');
  });
});
