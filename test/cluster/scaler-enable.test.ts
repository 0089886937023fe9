import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CHART_DIR, helm, kubectl, setValues } from './support/cluster-commands.js';
import { deploymentState } from './support/cluster-state.js';
import { installRelease, type TestRelease } from './support/release.js';

const PARTITIONS = 3;
const WATCH_INTERVAL_MS = 200;

describe('enabling the scaler on a running release', () => {
  let release: TestRelease;
  before(async () => {
    release = await installRelease({ partitions: PARTITIONS, existingSecret: true });
  });
  after(async () => {
    await release.remove();
  });

  it('keeps the consumer\'s replica count through the upgrade: no scale-down to the API server\'s default of 1', async () => {
    assert.deepEqual(await deploymentState(release.namespace, release.deployment), { replicas: PARTITIONS, readyReplicas: PARTITIONS });
    const seen: number[] = [];
    let upgrading = true;
    const watching = (async () => {
      while (upgrading) {
        seen.push((await deploymentState(release.namespace, release.deployment)).replicas);
        await new Promise((resolve) => setTimeout(resolve, WATCH_INTERVAL_MS));
      }
    })();
    const upgrade = await helm('upgrade', release.name, CHART_DIR, '--namespace', release.namespace, '--reuse-values', '--wait', '--timeout', '5m', ...setValues({ 'scaler.enabled': true }));
    upgrading = false;
    await watching;
    assert.equal(upgrade.exitCode, 0, `${upgrade.stdout}\n${upgrade.stderr}`);
    assert.ok(seen.length > 0);
    assert.deepEqual([...new Set(seen)], [PARTITIONS], `spec.replicas during the upgrade: ${seen.join(',')}`);
    assert.deepEqual(await deploymentState(release.namespace, release.deployment), { replicas: PARTITIONS, readyReplicas: PARTITIONS });
    const scaling = await kubectl('-n', release.namespace, 'get', 'events', '--field-selector', 'reason=ScalingReplicaSet', '-o', 'jsonpath={.items[*].message}');
    assert.doesNotMatch(scaling, /Scaled down/);
  });
});
