import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../../deploy/local/system/wait-for.js';
import { kubectl } from './support/cluster-commands.js';
import { deploymentState, leaseHolder, readyPods } from './support/cluster-state.js';
import { installRelease, type TestRelease } from './support/release.js';

const INITIAL_PARTITIONS = 3;
const GROWN_PARTITIONS = 6;
const RECONCILE_INTERVAL_MS = 2_000;
const SETTLE_TIMEOUT_MS = 120_000;

describe('the scaler, two replicas electing a leader', () => {
  let release: TestRelease;
  before(async () => {
    release = await installRelease({
      partitions: INITIAL_PARTITIONS,
      existingSecret: true,
      values: { 'scaler.enabled': true, 'scaler.replicaCount': 2, 'scaler.intervalMs': RECONCILE_INTERVAL_MS },
    });
  });
  after(async () => {
    await release.remove();
  });

  const replicasSettleAt = (count: number): Promise<unknown> =>
    waitFor(`${count} Ready consumer replicas`, () => deploymentState(release.namespace, release.deployment), (state) => state.replicas === count && state.readyReplicas === count, {
      timeoutMs: SETTLE_TIMEOUT_MS,
      intervalMs: 500,
    });

  it('keeps replicas equal to the partitions when they grow from 3 to 6', async () => {
    await replicasSettleAt(INITIAL_PARTITIONS);
    await release.topics.addPartitions(GROWN_PARTITIONS);
    await replicasSettleAt(GROWN_PARTITIONS);
  });

  it('hands the lead over when the leader pod is deleted', async () => {
    const leader = await waitFor('a leader', () => leaseHolder(release.namespace), (holder) => holder !== '', { timeoutMs: SETTLE_TIMEOUT_MS });
    assert.ok((await readyPods(release.namespace, 'scaler')).includes(leader), `${leader} is a Ready scaler pod`);
    await kubectl('-n', release.namespace, 'delete', 'pod', leader, '--wait=false');
    const successor = await waitFor('another leader', () => leaseHolder(release.namespace), (holder) => holder !== '' && holder !== leader, { timeoutMs: SETTLE_TIMEOUT_MS });
    assert.notEqual(successor, leader);
    // The new leader reconciles: a manual change is undone by it, not by the deleted pod.
    await kubectl('-n', release.namespace, 'scale', 'deployment', release.deployment, '--replicas=1');
    await replicasSettleAt(GROWN_PARTITIONS);
  });

  it('undoes a kubectl scale by hand', async () => {
    await kubectl('-n', release.namespace, 'scale', 'deployment', release.deployment, '--replicas=2');
    await replicasSettleAt(GROWN_PARTITIONS);
    const events = await kubectl('-n', release.namespace, 'get', 'events', '--field-selector', 'reason=ScaledToPartitions', '-o', 'jsonpath={.items[*].message}');
    assert.match(events, /Scaled replicas from 2 to 6/);
  });
});
