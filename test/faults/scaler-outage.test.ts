import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { getProbe } from '../support/probes.js';
import { leaseDurationMs, startScaler, testTimings, type ScalerProcess } from '../support/scaler-process.js';
import { startKafkaBroker } from '../../deploy/local/services/kafka-broker.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { CONTROL_PLANE_TIMEOUT_MS, useTestCluster } from '../support/test-cluster.js';
import { TestTopics } from '../support/test-topics.js';
import { writeKubeconfig } from '../../deploy/local/tools/kubeconfig.js';
import { waitFor } from '../../deploy/local/system/wait-for.js';

const DEPLOYMENT = 'todo-history';
const renewDeadlineMs = Number(testTimings.SCALER_RENEW_DEADLINE_MS);

/** Failed reconciles, as logged. */
function failedReconciles(scaler: ScalerProcess): Record<string, unknown>[] {
  return scaler.logLines().filter((line) => String(line.msg).startsWith('reconcile failed, nothing changed'));
}

describe('the scaler through API server and Kafka outages', { timeout: CONTROL_PLANE_TIMEOUT_MS }, () => {
  const cluster = useTestCluster();

  async function deploymentWithTopic(t: TestContext, partitions: number, brokers: string[] | undefined = undefined): Promise<{ namespace: string; topics: TestTopics }> {
    const namespace = await cluster().createNamespace();
    await cluster().createDeployment(namespace, DEPLOYMENT, 1);
    await cluster().createLease(namespace, `${DEPLOYMENT}-scaler`);
    const topics = new TestTopics(brokers);
    await topics.create(partitions);
    t.after(() => topics.close());
    return { namespace, topics };
  }

  /** A scaler whose API server connection runs through a proxy the test can break. */
  async function scalerBehindProxy(t: TestContext, namespace: string, topics: TestTopics): Promise<{ proxy: TcpProxy; scaler: ScalerProcess }> {
    const proxy = await TcpProxy.start(Number(new URL(cluster().controlPlane.server).port));
    t.after(() => proxy.cut());
    const kubeconfig = path.join(cluster().controlPlane.workDir, `kubeconfig-${namespace}`);
    await writeKubeconfig(kubeconfig, { server: `https://127.0.0.1:${proxy.port}`, caFile: cluster().controlPlane.caFile, token: cluster().controlPlane.adminToken });
    const scaler = await startScaler('scaler-a', { KUBECONFIG: kubeconfig, KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '', KAFKA_TOPIC: topics.topic, SCALER_NAMESPACE: namespace, SCALER_DEPLOYMENT: DEPLOYMENT });
    t.after(() => scaler.stop('SIGKILL'));
    return { proxy, scaler };
  }

  const failedLeaseRounds = (scaler: ScalerProcess): Record<string, unknown>[] =>
    scaler.logLines().filter((line) => line.kind === 'api_unreachable' && String(line.msg).startsWith('lease round failed'));

  it('steps down while the API server refuses connections, says so, and takes over again when it is back', async (t) => {
    const { namespace, topics } = await deploymentWithTopic(t, 3);
    const { proxy, scaler } = await scalerBehindProxy(t, namespace, topics);
    await waitFor('replicas to become 3', () => cluster().replicas(namespace, DEPLOYMENT), (n) => n === 3);

    await proxy.cut();
    await topics.addPartitions(5);
    await waitFor('the leader to step down after its renew deadline', () => scaler.metric('todo_history_scaler_leader'), (v) => v === 0, { timeoutMs: 4 * renewDeadlineMs });
    // Log lines cross a pipe and can trail what the metrics already show.
    await waitFor('the step-down to be logged', async () => scaler.logged('stopped leading: the lease was not renewed within the renew deadline of 2000 ms').length, (n) => n === 1);
    assert.ok(failedLeaseRounds(scaler).length >= 2, 'each failed Lease round is logged');
    assert.ok((await scaler.metric('todo_history_scaler_errors_total', { operation: 'lease', kind: 'api_unreachable' })) >= 2);
    const readyz = await getProbe(scaler.port, '/readyz');
    assert.equal(readyz.status, 503);
    assert.match(readyz.body, /api_unreachable\): connect ECONNREFUSED 127\.0\.0\.1:\d+/, 'says why, not just that the request failed');
    assert.equal((await getProbe(scaler.port, '/livez')).status, 200, 'waiting out an outage is not a reason to restart');
    assert.equal(await cluster().replicas(namespace, DEPLOYMENT), 3);

    await proxy.restore();
    await waitFor('replicas to follow the partitions once the API server is back', () => cluster().replicas(namespace, DEPLOYMENT), (n) => n === 5, { timeoutMs: 15_000 });
    assert.equal(await scaler.metric('todo_history_scaler_leader'), 1);
    assert.equal(scaler.logged('became leader').length, 2);
    await waitFor('/readyz to recover', () => getProbe(scaler.port, '/readyz'), (p) => p.status === 200);
  });

  it('steps down before the lease could expire when the API server hangs, and its loops keep going', async (t) => {
    const { namespace, topics } = await deploymentWithTopic(t, 2);
    const { proxy, scaler } = await scalerBehindProxy(t, namespace, topics);
    await waitFor('replicas to become 2', () => cluster().replicas(namespace, DEPLOYMENT), (n) => n === 2);

    proxy.stall();
    const stalledAt = Date.now();
    await topics.addPartitions(3);
    await waitFor('the leader to step down', () => scaler.metric('todo_history_scaler_leader'), (v) => v === 0, { intervalMs: 50, timeoutMs: 4 * renewDeadlineMs });
    const steppedDownMs = Date.now() - stalledAt;
    // Its requests are aborted at the renew deadline, so it stops acting before another replica could
    // see the Lease expire.
    assert.ok(steppedDownMs < leaseDurationMs, `stepped down after ${steppedDownMs} ms`);
    t.diagnostic(`stepped down ${steppedDownMs} ms after the API server hung (renew deadline ${renewDeadlineMs} ms, lease ${leaseDurationMs} ms)`);
    // Longer than the election loop's liveness allowance: /livez stays 200 only if every round ends.
    await waitFor('four failed Lease rounds', async () => failedLeaseRounds(scaler).length, (n) => n >= 4, { timeoutMs: 30_000 });
    assert.equal((await getProbe(scaler.port, '/livez')).status, 200);
    assert.equal((await getProbe(scaler.port, '/readyz')).status, 503);
    assert.equal(await cluster().replicas(namespace, DEPLOYMENT), 2);

    await proxy.restore();
    await waitFor('replicas to follow the partitions once the API server answers', () => cluster().replicas(namespace, DEPLOYMENT), (n) => n === 3, { timeoutMs: 15_000 });
    assert.equal(await scaler.metric('todo_history_scaler_leader'), 1);
  });

  it('changes nothing while Kafka is down, retries with backoff, and reconciles again when it is back', async (t) => {
    const broker = await startKafkaBroker();
    t.after(() => broker.destroy());
    const { namespace, topics } = await deploymentWithTopic(t, 3, [broker.brokers]);
    const scaler = await startScaler('scaler-a', {
      KUBECONFIG: cluster().controlPlane.kubeconfigPath,
      KAFKA_BROKERS: broker.brokers,
      KAFKA_TOPIC: topics.topic,
      SCALER_NAMESPACE: namespace,
      SCALER_DEPLOYMENT: DEPLOYMENT,
    });
    t.after(() => scaler.stop('SIGKILL'));
    await waitFor('replicas to become 3', () => cluster().replicas(namespace, DEPLOYMENT), (n) => n === 3);

    await broker.stop();
    // A change the scaler would undo if it could read the partition count: it must leave it alone.
    await cluster().setReplicas(namespace, DEPLOYMENT, 7);
    const unreachable = async (): Promise<number> => failedReconciles(scaler).filter((line) => line.kind === 'kafka_unreachable').length;
    await waitFor('three reconciles failing to reach Kafka', unreachable, (n) => n >= 3, { timeoutMs: 60_000 });
    assert.equal(await cluster().replicas(namespace, DEPLOYMENT), 7, 'nothing changed without a partition count');
    const delays = failedReconciles(scaler).map((line) => line.retryInMs);
    assert.deepEqual(delays.slice(0, 3), [500, 1_000, 2_000], 'the backoff doubles');
    assert.ok((await scaler.metric('todo_history_scaler_errors_total', { operation: 'partitions', kind: 'kafka_unreachable' })) >= 3);
    assert.ok((await scaler.metric('todo_history_scaler_retry_backoff_seconds')) >= 1);
    assert.equal(await scaler.metric('todo_history_scaler_leader'), 1, 'the API server is fine, so it keeps leading');
    const readyz = await getProbe(scaler.port, '/readyz');
    assert.equal(readyz.status, 503);
    assert.match(readyz.body, /kafka_unreachable/);
    assert.equal((await getProbe(scaler.port, '/livez')).status, 200);

    await broker.start();
    await waitFor('replicas back to the partition count', () => cluster().replicas(namespace, DEPLOYMENT), (n) => n === 3, { timeoutMs: 60_000 });
    await waitFor('/readyz to recover', () => getProbe(scaler.port, '/readyz'), (p) => p.status === 200);
    assert.equal(await scaler.metric('todo_history_scaler_retry_backoff_seconds'), 0);
    await waitFor('the recovery to be logged', async () => scaler.logged('reconcile succeeded again').length, (n) => n === 1);
  });
});
