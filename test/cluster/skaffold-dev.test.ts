import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { databaseStandIn } from '../../deploy/local/image/service-stand-ins.js';
import { groupId, sampleEvents } from '../../deploy/local/sample-events.js';
import { waitFor } from '../../deploy/local/system/wait-for.js';
import { todoEvents } from '../support/todo-event-stream.js';
import { helm, kubectl } from './support/cluster-commands.js';
import { podStates, type PodState } from './support/cluster-state.js';
import { createDevCheckout, type DevCheckout } from './support/dev-checkout.js';
import { clusterSessionEnv } from './support/cluster-session-env.js';
import { describeEventsTopicFrom, eventLogsHypertable, historyLogs, produceEvents, storedRows } from './support/dev-services.js';
import { describeOfflineChanges } from './support/offline-skaffold.js';
import { SkaffoldDev, skaffoldCommand } from './support/skaffold-process.js';

/** The chart's release name in skaffold.yaml, and so its Deployment's name. */
const DEPLOYMENT = 'todo-history';
/** deploy/k8s's topic partitions and skaffold.yaml's kafka.topic.partitions: one consumer each. */
const PARTITIONS = 6;
/** What skaffold prints for the port forward of skaffold.yaml (service todo-history, port 8080), with the local address it took. */
const PROBE_PORT_FORWARD = /Port forwarding service\/todo-history in namespace \S+, remote port 8080 -> (http:\/\/127\.0\.0\.1:\d+)/;
const PORT_FORWARD_TIMEOUT_MS = 60_000;
const FIRST_DEPLOY_TIMEOUT_MS = 12 * 60_000;
const REDEPLOY_TIMEOUT_MS = 8 * 60_000;
const ROWS_TIMEOUT_MS = 3 * 60_000;
/** Batches produced while the new image is built and rolled out; each is one console-producer run. */
const EVENTS_PER_ROLLOUT_BATCH = 40;
const MAX_ROLLOUT_BATCHES = 12;
const sampleValues = sampleEvents.map((event) => JSON.stringify(event));

async function createNamespace(): Promise<string> {
  const namespace = `skaffold-${randomUUID().slice(0, 8)}`;
  await kubectl('create', 'namespace', namespace);
  return namespace;
}

/** Everything of the namespace that skaffold deploys: deploy/'s objects and the chart's, as kind/name. */
async function deployedObjects(namespace: string): Promise<string[]> {
  const out = await kubectl('-n', namespace, 'get', 'statefulsets,deployments,jobs,pods,services,configmaps,secrets', '-o', 'name');
  // kube-root-ca.crt is the namespace's own; everything else came from skaffold.
  return out.split('\n').filter((name) => name !== '' && name !== 'configmap/kube-root-ca.crt');
}

/** One batch of the deterministic event stream, as the console producer's lines. */
function eventBatch(from: number, runId: string): string[] {
  return todoEvents(from, EVENTS_PER_ROLLOUT_BATCH, runId).map((message) => String(message.value));
}

function consumersOn(pods: readonly PodState[], image: string): PodState[] {
  return pods.filter((pod) => pod.images.includes(image));
}

/** The rows are in a hypertable when the stand-in is TimescaleDB; says so when it is plain PostgreSQL. */
async function assertStoredInHypertable(namespace: string): Promise<void> {
  const database = await databaseStandIn();
  if (database.kind === 'postgresql') {
    process.stdout.write(`skaffold: the TimescaleDB stand-in is plain PostgreSQL (${database.missingSource} is absent): the hypertable check was not run\n`);
    return;
  }
  const table = await eventLogsHypertable(namespace);
  assert.equal(table.isHypertable, true, `todo_event_logs is a hypertable of TimescaleDB ${database.version}`);
  assert.ok(table.chunks > 0, `the rows are in the hypertable's chunks (${String(table.chunks)})`);
  process.stdout.write(`skaffold: todo_event_logs is a hypertable of TimescaleDB ${database.version} with ${String(table.chunks)} chunks\n`);
}

/** GET /readyz through skaffold's port forward: the consumer's probe answers on the developer's machine. */
async function readyzStatus(baseUrl: string): Promise<number> {
  const response = await fetch(new URL('/readyz', baseUrl), { signal: AbortSignal.timeout(5_000) });
  await response.body?.cancel();
  return response.status;
}

async function waitForRows(namespace: string, expected: number): Promise<void> {
  const rows = await waitFor(`${String(expected)} rows`, () => storedRows(namespace), (stored) => stored.rows >= expected, { timeoutMs: ROWS_TIMEOUT_MS, intervalMs: 2_000 });
  assert.deepEqual(rows, { rows: expected, distinctOffsets: expected }, 'every event stored exactly once');
}

describe('skaffold with the user\'s skaffold.yaml and no profile, on the local cluster', () => {
  let checkout: DevCheckout;
  const namespaces: string[] = [];
  before(async () => {
    checkout = await createDevCheckout();
    for (const line of describeOfflineChanges(clusterSessionEnv().registry)) process.stdout.write(`skaffold: changed for this offline machine: ${line}\n`);
  });
  after(async () => {
    for (const namespace of namespaces) await kubectl('delete', 'namespace', namespace, '--wait=false');
    await checkout.remove();
  });

  it('skaffold run builds, deploys the local stack and the chart; the sample events become rows of a hypertable that todo-history logs reads; Kafka answers another namespace; skaffold delete removes it all', { timeout: FIRST_DEPLOY_TIMEOUT_MS + 3 * ROWS_TIMEOUT_MS }, async () => {
    const namespace = await createNamespace();
    namespaces.push(namespace);
    const started = Date.now();
    const run = await skaffoldCommand(checkout.directory, namespace, 'run');
    assert.equal(run.exitCode, 0, 'skaffold run succeeded');
    await produceEvents(namespace, sampleValues);
    await waitForRows(namespace, sampleValues.length);
    process.stdout.write(`skaffold run: first row ${((Date.now() - started) / 1000).toFixed(0)} s after skaffold run started\n`);
    await assertStoredInHypertable(namespace);
    const history = await historyLogs(namespace, DEPLOYMENT, 'group', groupId);
    for (const event of sampleEvents.filter((sample) => sample.payload.groupId === groupId)) assert.ok(history.includes(event.payload.changes), `todo-history logs shows "${event.payload.changes}"`);

    const clientNamespace = await createNamespace();
    namespaces.push(clientNamespace);
    const topic = await describeEventsTopicFrom(clientNamespace, namespace);
    assert.match(topic, new RegExp(`PartitionCount: ${String(PARTITIONS)}\\b`), 'a client in another namespace reaches the broker at the address it advertises, and the topic has the chart\'s partitions');

    const removed = await skaffoldCommand(checkout.directory, namespace, 'delete');
    assert.equal(removed.exitCode, 0, 'skaffold delete succeeded');
    await waitFor('skaffold delete to leave nothing behind', () => deployedObjects(namespace), (objects) => objects.length === 0, { timeoutMs: 120_000, intervalMs: 1_000 });
    assert.equal((await helm('list', '--namespace', namespace, '--short')).stdout.trim(), '', 'no helm release is left');
  });

  it('skaffold dev deploys, forwards the probe port, rebuilds and rolls the consumers onto a changed source file losing no event, and cleans up on Ctrl-C', { timeout: FIRST_DEPLOY_TIMEOUT_MS + REDEPLOY_TIMEOUT_MS + 3 * ROWS_TIMEOUT_MS }, async () => {
    const namespace = await createNamespace();
    namespaces.push(namespace);
    const dev = await SkaffoldDev.start(checkout.directory, namespace);
    let exitCode: number | null;
    try {
      const started = Date.now();
      await dev.waitForOutput(/Watching for changes/, 1, FIRST_DEPLOY_TIMEOUT_MS);
      const firstPods = (await podStates(namespace, 'consumer')).filter((pod) => !pod.terminating);
      assert.equal(firstPods.filter((pod) => pod.ready).length, PARTITIONS, 'one Ready consumer per partition');
      const [firstImage = ''] = firstPods[0]?.images ?? [];
      await dev.waitForOutput(PROBE_PORT_FORWARD, 1, PORT_FORWARD_TIMEOUT_MS);
      const [, forwarded = ''] = PROBE_PORT_FORWARD.exec(dev.output) ?? [];
      await waitFor(`GET ${forwarded}/readyz to answer 200`, () => readyzStatus(forwarded), (status) => status === 200, { timeoutMs: PORT_FORWARD_TIMEOUT_MS, intervalMs: 1_000 });
      await produceEvents(namespace, sampleValues);
      await waitForRows(namespace, sampleValues.length);
      process.stdout.write(`skaffold dev: first row ${((Date.now() - started) / 1000).toFixed(0)} s after skaffold dev started\n`);
      await assertStoredInHypertable(namespace);

      const changed = Date.now();
      const cli = path.join(checkout.directory, 'src', 'cli.ts');
      await fs.appendFile(cli, `// Changed by the skaffold dev cluster test at ${new Date().toISOString()}.\n`);
      let produced = sampleValues.length;
      let replaced = false;
      for (let batch = 0; batch < MAX_ROLLOUT_BATCHES && !replaced; batch += 1) {
        await produceEvents(namespace, eventBatch(produced, namespace));
        produced += EVENTS_PER_ROLLOUT_BATCH;
        const pods = await podStates(namespace, 'consumer');
        replaced = consumersOn(pods, firstImage).length === 0 && pods.filter((pod) => pod.ready && !pod.terminating).length === PARTITIONS;
      }
      await dev.waitForOutput(/Watching for changes/, 2, REDEPLOY_TIMEOUT_MS);
      const pods = await waitFor('the new image\'s consumers to replace the old ones', () => podStates(namespace, 'consumer'),
        (states) => consumersOn(states, firstImage).length === 0 && states.filter((pod) => pod.ready && !pod.terminating).length === PARTITIONS, { timeoutMs: REDEPLOY_TIMEOUT_MS, intervalMs: 1_000 });
      process.stdout.write(`skaffold dev: the rebuilt image's consumers replaced the old ones ${((Date.now() - changed) / 1000).toFixed(0)} s after the change\n`);
      const [newImage = ''] = pods[0]?.images ?? [];
      assert.notEqual(newImage, firstImage, 'the consumers run the rebuilt image');
      await produceEvents(namespace, eventBatch(produced, namespace));
      produced += EVENTS_PER_ROLLOUT_BATCH;
      await waitForRows(namespace, produced);
      process.stdout.write(`skaffold dev: ${String(produced)} events, each stored once\n`);
    } finally {
      exitCode = await dev.stop();
    }
    assert.equal(exitCode, 0, 'skaffold dev exits by itself after Ctrl-C');
    assert.match(dev.output, /Cleaning up/);
    await waitFor('skaffold dev\'s cleanup to leave nothing behind', () => deployedObjects(namespace), (objects) => objects.length === 0, { timeoutMs: 120_000, intervalMs: 1_000 });
    assert.equal((await helm('list', '--namespace', namespace, '--short')).stdout.trim(), '', 'no helm release is left');
  });
});
