import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getProbe } from '../support/probes.js';
import { leaseDurationMs, startScaler, testTimings, type ScalerProcess } from '../support/scaler-process.js';
import { CONTROL_PLANE_TIMEOUT_MS, useTestCluster } from '../support/test-cluster.js';
import { TestTopics } from '../support/test-topics.js';
import { waitFor } from '../../deploy/local/system/wait-for.js';

const DEPLOYMENT = 'todo-history';
const LEASE = `${DEPLOYMENT}-scaler`;
const retryPeriodMs = Number(testTimings.SCALER_RETRY_PERIOD_MS);

/** Who logged a change to `toReplicas`. */
function patchedBy(scalers: readonly ScalerProcess[], toReplicas: number): string[] {
  return scalers.filter((s) => s.logged('scaled deployment').some((line) => line.toReplicas === toReplicas)).map((s) => s.identity);
}

/** Who logged the patch to `toReplicas`: the new replicas show in the API before the log line crosses the pipe. */
function patchLogged(scalers: readonly ScalerProcess[], toReplicas: number): Promise<string[]> {
  return waitFor(`the patch to ${toReplicas} replicas to be logged`, async () => patchedBy(scalers, toReplicas), (ids) => ids.length > 0);
}

describe('several scaler replicas elect one leader through a Lease', { timeout: CONTROL_PLANE_TIMEOUT_MS }, () => {
  const cluster = useTestCluster();

  it('only the leader patches; SIGTERM hands over at once, SIGKILL within the lease duration', async (t) => {
    const namespace = await cluster().createNamespace();
    await cluster().createDeployment(namespace, DEPLOYMENT, 1);
    await cluster().createLease(namespace, LEASE);
    const topics = new TestTopics();
    await topics.create(2);
    t.after(() => topics.close());
    const env = {
      KUBECONFIG: cluster().controlPlane.kubeconfigPath,
      KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '',
      KAFKA_TOPIC: topics.topic,
      SCALER_NAMESPACE: namespace,
      SCALER_DEPLOYMENT: DEPLOYMENT,
    };
    const start = async (identity: string): Promise<ScalerProcess> => {
      const scaler = await startScaler(identity, env);
      t.after(() => scaler.stop('SIGKILL'));
      return scaler;
    };
    const holder = async (): Promise<string | undefined> => (await cluster().lease(namespace, LEASE))?.holderIdentity;

    // a starts first so the first leader is known; b and c then find the Lease held.
    const a = await start('scaler-a');
    await waitFor('a to lead', holder, (h) => h === 'scaler-a');
    const [b, c] = [await start('scaler-b'), await start('scaler-c')];
    const all = [a, b, c];
    await waitFor('replicas to become 2', () => cluster().replicas(namespace, DEPLOYMENT), (n) => n === 2);
    await waitFor('b and c to see the Lease held', async () => b.logged('lease holder observed').length + c.logged('lease holder observed').length, (n) => n === 2);
    await topics.addPartitions(3);
    await waitFor('replicas to become 3', () => cluster().replicas(namespace, DEPLOYMENT), (n) => n === 3);
    assert.deepEqual(await patchLogged(all, 2), ['scaler-a']);
    assert.deepEqual(await patchLogged(all, 3), ['scaler-a']);
    assert.deepEqual(await Promise.all(all.map((s) => s.metric('todo_history_scaler_leader'))), [1, 0, 0]);
    assert.deepEqual(await Promise.all(all.map(async (s) => (await getProbe(s.port, '/readyz')).status)), [200, 200, 200], 'healthy followers are ready');
    assert.equal(await holder(), 'scaler-a');

    // SIGTERM: a releases the Lease, so a follower takes it at its next try, well within the lease duration.
    const stoppedAt = Date.now();
    assert.equal(await a.stop('SIGTERM'), 0);
    const second = await waitFor('b or c to take over', holder, (h) => h === 'scaler-b' || h === 'scaler-c', { intervalMs: 50 });
    const handoverMs = Date.now() - stoppedAt;
    assert.ok(handoverMs < leaseDurationMs, `took ${handoverMs} ms`);
    const [next, last] = second === 'scaler-b' ? [b, c] : [c, b];
    // The first holder made transition 1 (from the chart's free Lease); the handover makes 2.
    assert.equal((await cluster().lease(namespace, LEASE))?.leaseTransitions, 2);
    await topics.addPartitions(4);
    await waitFor('replicas to become 4', () => cluster().replicas(namespace, DEPLOYMENT), (n) => n === 4);
    assert.deepEqual(await patchLogged(all, 4), [next.identity]);
    assert.equal(await last.metric('todo_history_scaler_leader'), 0);

    // SIGKILL: no release. The last follower must wait until it has not seen the Lease change for
    // the lease duration, so it takes over no sooner than that minus one renew period, and no later
    // than that plus its polling (two jittered retry periods).
    const killedAt = Date.now();
    await next.stop('SIGKILL');
    await waitFor('the last follower to take over', holder, (h) => h === last.identity, { intervalMs: 50, timeoutMs: 3 * leaseDurationMs });
    const takeoverMs = Date.now() - killedAt;
    assert.ok(takeoverMs >= leaseDurationMs - 2 * retryPeriodMs, `took over after only ${takeoverMs} ms: the Lease was still valid`);
    assert.ok(takeoverMs <= leaseDurationMs + 2 * retryPeriodMs * 2.2 + 500, `took ${takeoverMs} ms`);
    await topics.addPartitions(5);
    await waitFor('replicas to become 5', () => cluster().replicas(namespace, DEPLOYMENT), (n) => n === 5);
    assert.deepEqual(await patchLogged(all, 5), [last.identity]);
    assert.equal((await cluster().lease(namespace, LEASE))?.leaseTransitions, 3);
    t.diagnostic(`SIGTERM handover ${handoverMs} ms, SIGKILL takeover ${takeoverMs} ms (lease ${leaseDurationMs} ms)`);
  });
});
