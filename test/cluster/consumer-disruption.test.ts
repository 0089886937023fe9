import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../../deploy/local/system/wait-for.js';
import { assertStoredExactlyOnce } from '../support/exactly-once.js';
import { todoEvents } from '../support/todo-event-stream.js';
import { crictl, kubectl } from './support/cluster-commands.js';
import { readyPods, restartCount } from './support/cluster-state.js';
import { installRelease, type TestRelease } from './support/release.js';

const PARTITIONS = 3;
const BATCH = 50;
const BATCH_INTERVAL_MS = 100;
const DISRUPTIONS = 4;
const READY_TIMEOUT_MS = 120_000;

describe('consumer pods deleted and their containers killed during a steady stream', () => {
  let release: TestRelease;
  before(async () => {
    // A short session timeout, so that a killed member's partitions move on within seconds.
    release = await installRelease({ partitions: PARTITIONS, existingSecret: true, values: { 'kafka.sessionTimeoutMs': 6000, 'kafka.heartbeatIntervalMs': 1000 } });
  });
  after(async () => {
    await release.remove();
  });

  const allReady = (): Promise<string[]> =>
    waitFor('every consumer to be Ready again', () => readyPods(release.namespace, 'consumer'), (pods) => pods.length === PARTITIONS, { timeoutMs: READY_TIMEOUT_MS, intervalMs: 500 });

  it('loses no event and stores none twice', async (t) => {
    let produced = 0;
    let producing = true;
    const producer = (async () => {
      while (producing) {
        await release.topics.produce(todoEvents(produced, BATCH, release.namespace));
        produced += BATCH;
        await sleep(BATCH_INTERVAL_MS);
      }
    })();
    try {
      for (let round = 0; round < DISRUPTIONS; round += 1) {
        const [victim = ''] = await allReady();
        await sleep(1_000 + Math.floor(Math.random() * 2_000));
        if (round % 2 === 0) {
          // Deleted as by a drain: SIGTERM, then the Deployment makes a new pod.
          await kubectl('-n', release.namespace, 'delete', 'pod', victim, '--wait=false');
          await waitFor(`${victim} to be gone`, () => readyPods(release.namespace, 'consumer'), (pods) => !pods.includes(victim), { timeoutMs: READY_TIMEOUT_MS, intervalMs: 500 });
        } else {
          // Killed behind the kubelet's back, as by the OOM killer: SIGKILL, then the kubelet restarts it.
          const restartsBefore = await restartCount(release.namespace, victim);
          const [container = ''] = (await crictl('ps', '-q', '--name', 'consumer', '--label', `io.kubernetes.pod.name=${victim}`)).trim().split('\n');
          assert.notEqual(container, '', `a running consumer container in ${victim}`);
          await crictl('stop', '--timeout', '0', container);
          await waitFor(`${victim} to be restarted`, () => restartCount(release.namespace, victim), (restarts) => restarts > restartsBefore, { timeoutMs: READY_TIMEOUT_MS, intervalMs: 500 });
        }
      }
      await allReady();
    } finally {
      producing = false;
      await producer;
    }
    assert.ok(produced >= 1_000, `${produced} events produced`);
    await waitFor('every event to be stored', () => release.database.rowCount(), (rows) => rows >= produced, { timeoutMs: 180_000, intervalMs: 500 });
    assert.equal(await assertStoredExactlyOnce(release.database, release.topics), produced);
    t.diagnostic(`${produced} events produced across ${DISRUPTIONS} disruptions, each stored once`);
  });
});
