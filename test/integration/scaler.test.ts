import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { runCli } from '../../deploy/local/cli-process.js';
import { scalerPausedAnnotation } from '../../src/scaler/deployment-scale.js';
import { getProbe } from '../support/probes.js';
import { startScaler, type ScalerProcess } from '../support/scaler-process.js';
import { CONTROL_PLANE_TIMEOUT_MS, useTestCluster } from '../support/test-cluster.js';
import { TestTopics } from '../support/test-topics.js';
import { waitFor } from '../../deploy/local/system/wait-for.js';

const DEPLOYMENT = 'todo-history';

interface Setup {
  namespace: string;
  topics: TestTopics;
  scaler: ScalerProcess;
}

describe('todo-history scaler on a real kube-apiserver and Kafka', { timeout: CONTROL_PLANE_TIMEOUT_MS }, () => {
  const cluster = useTestCluster();

  /** A namespace with the consumer Deployment, its Lease (unless `lease` is false), a topic, and one scaler for them; all removed after the test. */
  async function setUp(
    t: TestContext,
    { partitions, replicas = 1, env = {}, lease = true }: { partitions: number; replicas?: number; env?: Record<string, string>; lease?: boolean },
  ): Promise<Setup> {
    const namespace = await cluster().createNamespace();
    await cluster().createDeployment(namespace, DEPLOYMENT, replicas);
    if (lease) await cluster().createLease(namespace, `${env['SCALER_DEPLOYMENT'] ?? DEPLOYMENT}-scaler`);
    const topics = new TestTopics();
    await topics.create(partitions);
    t.after(() => topics.close());
    const scaler = await startScaler('scaler-a', {
      KUBECONFIG: cluster().controlPlane.kubeconfigPath,
      KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '',
      KAFKA_TOPIC: topics.topic,
      SCALER_NAMESPACE: namespace,
      SCALER_DEPLOYMENT: DEPLOYMENT,
      ...env,
    });
    t.after(() => scaler.stop('SIGKILL'));
    return { namespace, topics, scaler };
  }

  const replicasOf = (namespace: string) => () => cluster().replicas(namespace, DEPLOYMENT);

  it('sets replicas to the partition count, follows a raise, and records why in Events', async (t) => {
    const { namespace, topics, scaler } = await setUp(t, { partitions: 3 });
    await waitFor('replicas to become 3', replicasOf(namespace), (n) => n === 3);

    await topics.addPartitions(6);
    await waitFor('replicas to follow the raise to 6', replicasOf(namespace), (n) => n === 6);

    const events = await waitFor('two Events on the Deployment', () => cluster().events(namespace, DEPLOYMENT), (list) => list.length === 2);
    assert.deepEqual(
      events.map((e) => [e.type, e.reason, e.message, e.involvedObject.kind, e.reportingInstance]),
      [
        ['Normal', 'ScaledToPartitions', `Scaled replicas from 1 to 3: topic ${topics.topic} has 3 partitions`, 'Deployment', 'scaler-a'],
        ['Normal', 'ScaledToPartitions', `Scaled replicas from 3 to 6: topic ${topics.topic} has 6 partitions`, 'Deployment', 'scaler-a'],
      ],
    );
    const deployment = await cluster().deployment(namespace, DEPLOYMENT);
    assert.equal(events[0]?.involvedObject.uid !== '', true);

    assert.deepEqual(
      scaler.logged('scaled deployment').map((line) => [line.fromReplicas, line.toReplicas, line.partitions]),
      [[1, 3, 3], [3, 6, 6]],
    );
    assert.equal(await scaler.metric('todo_history_scaler_scale_patches_total'), 2);
    assert.equal(await scaler.metric('todo_history_scaler_partitions'), 6);
    assert.equal(await scaler.metric('todo_history_scaler_desired_replicas'), 6);
    assert.equal(await scaler.metric('todo_history_scaler_leader'), 1);
    assert.ok((await scaler.metric('todo_history_scaler_last_reconcile_timestamp_seconds')) > Date.now() / 1000 - 60);
    assert.equal((await getProbe(scaler.port, '/readyz')).status, 200);
    assert.equal((await getProbe(scaler.port, '/livez')).status, 200);

    // Only the scale subresource was written: the rest of the Deployment is as it was created.
    assert.equal(deployment.metadata.labels.team, 'history');
    const writers = deployment.metadata.managedFields.filter((f) => f.manager === 'todo-history-scaler');
    assert.deepEqual(writers.map((f) => [f.operation, f.subresource]), [['Update', 'scale']]);
  });

  it('never goes above SCALER_MAX_REPLICAS', async (t) => {
    const { namespace, topics, scaler } = await setUp(t, { partitions: 6, env: { SCALER_MAX_REPLICAS: '4' } });
    await waitFor('replicas to become 4', replicasOf(namespace), (n) => n === 4);
    const [event] = await waitFor('the Event', () => cluster().events(namespace, DEPLOYMENT), (list) => list.length === 1);
    assert.equal(event?.message, `Scaled replicas from 1 to 4: topic ${topics.topic} has 6 partitions; capped at the maximum of 4 replicas`);
    await waitFor('a later reconcile', () => scaler.metric('todo_history_scaler_last_reconcile_timestamp_seconds'), (s) => s * 1000 > Date.now() - 500);
    assert.equal(await cluster().replicas(namespace, DEPLOYMENT), 4);
    assert.equal(await scaler.metric('todo_history_scaler_scale_patches_total'), 1, 'in sync stays in sync');
  });

  it('never goes below SCALER_MIN_REPLICAS', async (t) => {
    const { namespace } = await setUp(t, { partitions: 1, env: { SCALER_MIN_REPLICAS: '2' } });
    await waitFor('replicas to become 2', replicasOf(namespace), (n) => n === 2);
  });

  it('scales down a Deployment with more replicas than partitions, and undoes a manual overshoot', async (t) => {
    const { namespace } = await setUp(t, { partitions: 3, replicas: 5 });
    await waitFor('replicas to come down to 3', replicasOf(namespace), (n) => n === 3);
    await cluster().setReplicas(namespace, DEPLOYMENT, 4);
    await waitFor('the manual change to be undone', replicasOf(namespace), (n) => n === 3);
  });

  it(`leaves the replicas alone while the Deployment carries ${scalerPausedAnnotation}=true, says so, and follows the partitions again once it is gone`, async (t) => {
    const { namespace, topics, scaler } = await setUp(t, { partitions: 3 });
    await waitFor('replicas to become 3', replicasOf(namespace), (n) => n === 3);
    await cluster().annotateDeployment(namespace, DEPLOYMENT, scalerPausedAnnotation, 'true');
    await waitFor('the scaler to report the pause', () => scaler.metric('todo_history_scaler_paused'), (paused) => paused === 1);
    // An operator's incident action, and a partition raise meanwhile: neither is acted on.
    await cluster().setReplicas(namespace, DEPLOYMENT, 0);
    await topics.addPartitions(4);
    const reconciled = Date.now();
    await waitFor('two reconciles after both', () => scaler.metric('todo_history_scaler_last_reconcile_timestamp_seconds'), (s) => s * 1000 > reconciled + 1_000);
    assert.equal(await cluster().replicas(namespace, DEPLOYMENT), 0, 'the operator\'s scale to 0 stands');
    assert.equal(await scaler.metric('todo_history_scaler_desired_replicas'), 4, 'what it would do is still exported');
    assert.equal(await scaler.metric('todo_history_scaler_scale_patches_total'), 1);
    const paused = scaler.logged(`paused: the Deployment carries ${scalerPausedAnnotation}=true; its replicas are left as they are`);
    assert.equal(paused.length, 1, 'the pause is logged once, not at every reconcile');

    await cluster().annotateDeployment(namespace, DEPLOYMENT, scalerPausedAnnotation, null);
    await waitFor('replicas to follow the partitions again', replicasOf(namespace), (n) => n === 4);
    assert.equal(await scaler.metric('todo_history_scaler_paused'), 0);
    assert.equal(scaler.logged(`resumed: ${scalerPausedAnnotation} is gone; replicas follow the partitions again`).length, 1);
  });

  it('releases its Lease on SIGTERM and exits 0', async (t) => {
    const { namespace, scaler } = await setUp(t, { partitions: 2 });
    await waitFor('the scaler to lead', () => cluster().lease(namespace, `${DEPLOYMENT}-scaler`), (lease) => lease?.holderIdentity === 'scaler-a');
    assert.equal(await scaler.stop('SIGTERM'), 0);
    const lease = await cluster().lease(namespace, `${DEPLOYMENT}-scaler`);
    assert.equal(lease?.holderIdentity, '', 'a released Lease has no holder');
    assert.equal(scaler.logged('released the lease').length, 1);
  });

  it('keeps retrying with backoff while the Deployment is missing, changes nothing, and recovers once it exists', async (t) => {
    const { namespace, scaler } = await setUp(t, { partitions: 3, env: { SCALER_DEPLOYMENT: 'not-yet-there' } });
    const notFound = () => scaler.logLines().filter((line) => line.kind === 'api_not_found' && String(line.msg).startsWith('reconcile failed'));
    await waitFor('three failed reconciles', async () => notFound().length, (n) => n >= 3);
    const delays = notFound().map((line) => line.retryInMs);
    assert.deepEqual(delays.slice(0, 3), [500, 1000, 2000], 'the backoff doubles');
    assert.ok((await scaler.metric('todo_history_scaler_errors_total', { operation: 'read_scale', kind: 'api_not_found' })) >= 3);
    assert.ok((await scaler.metric('todo_history_scaler_retry_backoff_seconds')) > 0);
    assert.equal((await getProbe(scaler.port, '/readyz')).status, 503);
    assert.equal((await getProbe(scaler.port, '/livez')).status, 200);

    await cluster().createDeployment(namespace, 'not-yet-there', 1);
    await waitFor('replicas to become 3 once it exists', () => cluster().replicas(namespace, 'not-yet-there'), (n) => n === 3, { timeoutMs: 15_000 });
    await waitFor('/readyz to recover', () => getProbe(scaler.port, '/readyz'), (p) => p.status === 200);
    assert.equal(await scaler.metric('todo_history_scaler_retry_backoff_seconds'), 0);
  });

  it('waits, unready and naming it, while its Lease does not exist, and leads once the chart creates it', async (t) => {
    const { namespace, scaler } = await setUp(t, { partitions: 2, lease: false });
    const unready = await waitFor('/readyz to name the missing Lease', () => getProbe(scaler.port, '/readyz'), (p) => p.status === 503 && p.body.includes('does not exist'));
    assert.match(unready.body, new RegExp(`Lease ${namespace}/${DEPLOYMENT}-scaler does not exist: the Helm chart creates it with the scaler`));
    assert.ok((await scaler.metric('todo_history_scaler_errors_total', { operation: 'lease', kind: 'api_not_found' })) >= 1);
    assert.equal(await cluster().lease(namespace, `${DEPLOYMENT}-scaler`), undefined, 'the scaler does not create it');
    assert.equal(await cluster().replicas(namespace, DEPLOYMENT), 1, 'nor act without it');

    await cluster().createLease(namespace, `${DEPLOYMENT}-scaler`);
    await waitFor('the scaler to lead', () => cluster().lease(namespace, `${DEPLOYMENT}-scaler`), (lease) => lease?.holderIdentity === 'scaler-a');
    await waitFor('replicas to become 2', () => cluster().replicas(namespace, DEPLOYMENT), (n) => n === 2);
  });

  it('exits 78 naming every bad setting, before connecting anywhere', async () => {
    const { code, output } = await runCli(['scaler'], { SCALER_INTERVAL_MS: '10', SCALER_NAMESPACE: 'Not A Namespace', KUBECONFIG: '/nonexistent' });
    assert.equal(code, 78);
    for (const name of ['SCALER_DEPLOYMENT', 'SCALER_INTERVAL_MS', 'SCALER_NAMESPACE']) assert.match(output, new RegExp(`\\(${name}\\)`));
    assert.doesNotMatch(output, /starting scaler/);
  });
});
