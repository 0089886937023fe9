import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { CommandResult } from '../../deploy/local/system/run-command.js';
import { chartDir, helm } from '../support/kubernetes/helm-chart.js';
import { CONTROL_PLANE_TIMEOUT_MS, useTestCluster } from '../support/test-cluster.js';

const RELEASE = 'history';
const FULLNAME = `${RELEASE}-todo-history`;

/**
 * `helm install` and `helm upgrade` of the chart into a real kube-apiserver. It has no kubelet and no
 * controllers: hooks (the migration Job would never finish) are skipped and nothing waits for pods, but
 * every object, Helm's three-way merge and `lookup` are real.
 */
describe('Helm chart against a real kube-apiserver', { timeout: CONTROL_PLANE_TIMEOUT_MS }, () => {
  const cluster = useTestCluster();

  function releaseCommand(namespace: string, command: 'install' | 'upgrade', set: Record<string, string>): Promise<CommandResult> {
    return helm([
      command,
      RELEASE,
      chartDir,
      '--namespace',
      namespace,
      '--kubeconfig',
      cluster().controlPlane.kubeconfigPath,
      '--no-hooks',
      ...(command === 'upgrade' ? ['--reuse-values'] : ['--values', path.join(chartDir, 'ci/defaults-values.yaml')]),
      ...Object.entries(set).flatMap(([key, value]) => ['--set', `${key}=${value}`]),
    ]);
  }

  async function release(namespace: string, command: 'install' | 'upgrade', set: Record<string, string>): Promise<void> {
    const result = await releaseCommand(namespace, command, set);
    assert.equal(result.exitCode, 0, `helm ${command}: ${result.stderr}`);
  }

  const exists = async (namespace: string, collection: string, name: string): Promise<boolean> => {
    const status = await cluster().statusAs(cluster().controlPlane.adminToken, { path: `${collection.replace('{ns}', namespace)}/${name}` });
    return status === 200;
  };
  const lease = '/apis/coordination.k8s.io/v1/namespaces/{ns}/leases';
  const roles = '/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles';

  it('keeps the consumer\'s replicas when the scaler is turned on, and the scaler\'s choice at later upgrades', async () => {
    const namespace = await cluster().createNamespace();
    await release(namespace, 'install', { 'kafka.topic.partitions': '6', replicaCount: '4' });
    assert.equal(await cluster().replicas(namespace, FULLNAME), 4);

    await release(namespace, 'upgrade', { 'scaler.enabled': 'true' });
    assert.equal(await cluster().replicas(namespace, FULLNAME), 4, 'enabling the scaler keeps the live count');
    assert.equal(await exists(namespace, lease, `${FULLNAME}-scaler`), true, 'the Lease comes with the scaler');

    await cluster().setReplicas(namespace, FULLNAME, 6);
    await release(namespace, 'upgrade', { 'log.level': 'debug' });
    assert.equal(await cluster().replicas(namespace, FULLNAME), 6, 'an upgrade keeps what the scaler chose');
  });

  it('deletes the Lease with the scaler\'s Role on a rollback to a release without the scaler', async () => {
    const namespace = await cluster().createNamespace();
    await release(namespace, 'install', {});
    await release(namespace, 'upgrade', { 'scaler.enabled': 'true' });
    assert.equal(await exists(namespace, lease, `${FULLNAME}-scaler`), true);
    const rollback = await helm(['rollback', RELEASE, '1', '--namespace', namespace, '--kubeconfig', cluster().controlPlane.kubeconfigPath, '--no-hooks']);
    assert.equal(rollback.exitCode, 0, rollback.stderr);
    assert.equal(await exists(namespace, lease, `${FULLNAME}-scaler`), false, 'no Lease is left behind');
    assert.equal(await exists(namespace, roles, `${FULLNAME}-scaler`), false);
    assert.equal(await cluster().replicas(namespace, FULLNAME), 3, 'the partition count again');
  });

  it('rolls the consumer pods when helm upgrade changes a chart-created password', async () => {
    const namespace = await cluster().createNamespace();
    await release(namespace, 'install', { 'auth.databasePassword': 'first' });
    const template = async (): Promise<string | undefined> =>
      ((await cluster().deployment(namespace, FULLNAME)).spec.template as { metadata: { annotations?: Record<string, string> } }).metadata.annotations?.['checksum/secret'];
    const before = await template();
    assert.ok(before !== undefined);
    await release(namespace, 'upgrade', { 'auth.databasePassword': 'second' });
    assert.notEqual(await template(), before, 'a new pod template: the Deployment rolls its pods');
  });

  it('takes over the Lease an older scaler created, once it carries Helm\'s ownership metadata (docs/scaler.md, "Upgrading from a scaler that created its Lease")', async () => {
    const namespace = await cluster().createNamespace();
    await release(namespace, 'install', {});
    await cluster().createLease(namespace, `${FULLNAME}-scaler`);
    const refused = await releaseCommand(namespace, 'upgrade', { 'scaler.enabled': 'true' });
    assert.notEqual(refused.exitCode, 0);
    assert.match(refused.stderr, /Lease "history-todo-history-scaler" in namespace .* exists and cannot be imported into the current release: invalid ownership metadata/);
    await cluster().request(
      {
        method: 'PATCH',
        path: `${lease.replace('{ns}', namespace)}/${FULLNAME}-scaler`,
        contentType: 'application/merge-patch+json',
        body: { metadata: { labels: { 'app.kubernetes.io/managed-by': 'Helm' }, annotations: { 'meta.helm.sh/release-name': RELEASE, 'meta.helm.sh/release-namespace': namespace } } },
      },
      200,
    );
    await release(namespace, 'upgrade', { 'scaler.enabled': 'true' });
    assert.equal(await cluster().replicas(namespace, FULLNAME), 3);
  });
});
