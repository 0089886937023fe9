import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it, type TestContext } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { getProbe } from '../support/probes.js';
import { startScaler, type ScalerProcess } from '../support/scaler-process.js';
import { runCommand } from '../../deploy/local/system/run-command.js';
import { CONTROL_PLANE_TIMEOUT_MS, useTestCluster } from '../support/test-cluster.js';
import { TestTopics } from '../support/test-topics.js';
import { ensureGoTool } from '../../deploy/local/tools/go-tools.js';
import type { KubeRequest } from '../../deploy/local/tools/kube-http.js';
import { writeKubeconfig } from '../../deploy/local/tools/kubeconfig.js';
import { waitFor } from '../../deploy/local/system/wait-for.js';

const chartDir = fileURLToPath(new URL('../../../helm/todo-history', import.meta.url));
const RELEASE = 'history';
const scalerTemplates = ['scaler-serviceaccount.yaml', 'scaler-role.yaml', 'scaler-rolebinding.yaml', 'scaler-lease.yaml', 'scaler-configmap.yaml'];

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  data?: Record<string, string>;
}

const collections: Record<string, (namespace: string) => string> = {
  ServiceAccount: (namespace) => `/api/v1/namespaces/${namespace}/serviceaccounts`,
  Role: (namespace) => `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/roles`,
  RoleBinding: (namespace) => `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings`,
  Lease: (namespace) => `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`,
};

/** The chart's scaler ServiceAccount, Role, RoleBinding, Lease and settings, rendered for `namespace`. */
async function renderScalerRbac(namespace: string): Promise<Manifest[]> {
  const sets = {
    'scaler.enabled': 'true',
    // The chart insists on an image and database credentials for the consumer; these tests never deploy it.
    'image.repository': 'unused',
    'auth.existingSecret': 'todo-history-credentials',
    'scaler.intervalMs': '1000',
    'scaler.leaderElection.leaseDurationMs': '3000',
    'scaler.leaderElection.renewDeadlineMs': '2000',
    'scaler.leaderElection.retryPeriodMs': '500',
  };
  const { stdout } = await runCommand(await ensureGoTool('helm'), [
    'template',
    RELEASE,
    chartDir,
    '--namespace',
    namespace,
    ...Object.entries(sets).flatMap(([key, value]) => ['--set', `${key}=${value}`]),
    ...scalerTemplates.flatMap((template) => ['--show-only', `templates/${template}`]),
  ]);
  return parseAllDocuments(stdout).map((document) => document.toJS() as Manifest).filter((manifest) => manifest !== null);
}

describe('the scaler with the chart\'s Role and nothing more', { timeout: CONTROL_PLANE_TIMEOUT_MS }, () => {
  const cluster = useTestCluster();

  /** The chart's scaler objects, created in a fresh namespace, and a kubeconfig with the scaler ServiceAccount's token. */
  async function deployScalerObjects(): Promise<{ namespace: string; settings: Record<string, string>; token: string; kubeconfig: string; manifests: Manifest[] }> {
    const namespace = await cluster().createNamespace();
    const manifests = await renderScalerRbac(namespace);
    const settings = manifests.find((m) => m.kind === 'ConfigMap')?.data;
    assert.ok(settings !== undefined, 'the chart renders the scaler settings');
    for (const manifest of manifests.filter((m) => m.kind !== 'ConfigMap')) {
      const collection = collections[manifest.kind];
      assert.ok(collection !== undefined, `unexpected ${manifest.kind} among the scaler's objects`);
      await cluster().request({ method: 'POST', path: collection(namespace), body: manifest }, 201);
    }
    const serviceAccount = manifests.find((m) => m.kind === 'ServiceAccount')?.metadata.name ?? '';
    await cluster().createDeployment(namespace, settings.SCALER_DEPLOYMENT ?? '', 1);
    const { status } = await cluster().request<{ status: { token: string } }>(
      {
        method: 'POST',
        path: `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`,
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
      },
      201,
    );
    const kubeconfig = path.join(cluster().controlPlane.workDir, `kubeconfig-${serviceAccount}-${namespace}`);
    await writeKubeconfig(kubeconfig, { server: cluster().controlPlane.server, caFile: cluster().controlPlane.caFile, token: status.token });
    return { namespace, settings, token: status.token, kubeconfig, manifests };
  }

  /** The scaler as its pod runs it: the chart's settings, pointed at the test's Kafka, a topic and a free port. */
  async function startChartScaler(t: TestContext, settings: Record<string, string>, kubeconfig: string): Promise<ScalerProcess> {
    const topics = new TestTopics();
    await topics.create(3);
    t.after(() => topics.close());
    const { HTTP_PORT: _port, ...chartEnv } = settings;
    const scaler = await startScaler('scaler-pod-0', { ...chartEnv, KUBECONFIG: kubeconfig, KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '', KAFKA_TOPIC: topics.topic });
    t.after(() => scaler.stop('SIGKILL'));
    return scaler;
  }

  it('scales, leads and records Events with the chart\'s ServiceAccount, and is refused everything else', async (t) => {
    const { namespace, settings, token, kubeconfig, manifests } = await deployScalerObjects();
    const deployment = settings.SCALER_DEPLOYMENT ?? '';
    const lease = settings.SCALER_LEASE_NAME ?? '';
    await cluster().createDeployment(namespace, 'other', 1);
    const scaler = await startChartScaler(t, settings, kubeconfig);

    await waitFor('replicas to become 3', () => cluster().replicas(namespace, deployment), (n) => n === 3);
    assert.equal((await cluster().lease(namespace, lease))?.holderIdentity, 'scaler-pod-0');
    const stored = await cluster().request<{ metadata: { labels?: Record<string, string> } }>({ path: `${collections['Lease']?.(namespace) ?? ''}/${lease}` }, 200);
    const rendered = manifests.find((m) => m.kind === 'Lease')?.metadata.labels;
    assert.ok(rendered !== undefined && Object.keys(rendered).length > 0);
    assert.deepEqual(stored.metadata.labels, rendered, 'the scaler\'s writes keep the chart\'s labels');
    const [event] = await waitFor('the Event', () => cluster().events(namespace, deployment), (events) => events.length === 1);
    assert.equal(event?.reason, 'ScaledToPartitions');
    await waitFor('/readyz', () => getProbe(scaler.port, '/readyz'), (p) => p.status === 200);
    for (const operation of ['lease', 'read_scale', 'patch_scale', 'record_event']) {
      assert.equal(await scaler.metric('todo_history_scaler_errors_total', { operation, kind: 'api_forbidden' }), 0, operation);
    }
    assert.equal(await scaler.stop('SIGTERM'), 0);
    assert.equal((await cluster().lease(namespace, lease))?.holderIdentity, '', 'releasing the Lease is allowed too');

    const as = (request: KubeRequest): Promise<number> => cluster().statusAs(token, request);
    const apps = `/apis/apps/v1/namespaces/${namespace}/deployments`;
    const scalePatch = { method: 'PATCH', contentType: 'application/merge-patch+json', body: { spec: { replicas: 9 } } };
    // The token works: what the Role grants answers 200.
    assert.equal(await as({ path: `${apps}/${deployment}` }), 200);
    const refused: [string, KubeRequest][] = [
      ['reading the consumer Deployment through its scale (the Deployment itself carries the pause annotation)', { path: `${apps}/${deployment}/scale` }],
      ['scaling another Deployment', { path: `${apps}/other/scale`, ...scalePatch }],
      ['reading another Deployment', { path: `${apps}/other` }],
      ['reading another Deployment\'s scale', { path: `${apps}/other/scale` }],
      ['changing the consumer Deployment itself', { path: `${apps}/${deployment}`, method: 'PATCH', contentType: 'application/merge-patch+json', body: { spec: { template: { spec: { containers: [{ name: 'consumer', image: 'evil:1' }] } } } } }],
      ['deleting the consumer Deployment', { path: `${apps}/${deployment}`, method: 'DELETE' }],
      ['creating a Deployment', { path: apps, method: 'POST', body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' } } }],
      ['listing Deployments', { path: apps }],
      ['listing Secrets', { path: `/api/v1/namespaces/${namespace}/secrets` }],
      ['reading a Secret', { path: `/api/v1/namespaces/${namespace}/secrets/todo-history-credentials` }],
      ['listing Pods', { path: `/api/v1/namespaces/${namespace}/pods` }],
      ['reading another Lease', { path: `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/kube-scheduler` }],
      ['deleting its own Lease', { path: `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${lease}`, method: 'DELETE' }],
      ['creating a Lease (the chart creates the one it uses)', { path: `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`, method: 'POST', body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'another' } } }],
      ['scaling a Deployment in another namespace', { path: `/apis/apps/v1/namespaces/default/deployments/${deployment}/scale`, ...scalePatch }],
    ];
    for (const [what, request] of refused) assert.equal(await as(request), 403, what);
    assert.equal(await cluster().replicas(namespace, 'other'), 1);
  });

  it('exits 0 on SIGTERM with one warning when Helm has already deleted its Role, RoleBinding and Lease (uninstall, rollback)', async (t) => {
    const { namespace, settings, kubeconfig, manifests } = await deployScalerObjects();
    const lease = settings.SCALER_LEASE_NAME ?? '';
    const scaler = await startChartScaler(t, settings, kubeconfig);
    await waitFor('the scaler to lead', () => cluster().lease(namespace, lease), (l) => l?.holderIdentity === 'scaler-pod-0');
    for (const manifest of manifests.filter((m) => ['RoleBinding', 'Role', 'Lease'].includes(m.kind))) {
      await cluster().request({ method: 'DELETE', path: `${collections[manifest.kind]?.(namespace) ?? ''}/${manifest.metadata.name}` }, 200);
    }
    assert.equal(await scaler.stop('SIGTERM'), 0);
    assert.equal(scaler.logged('the Lease or the scaler\'s Role is gone (deleted with the scaler by Helm): nothing to release').length, 1, scaler.output());
    assert.deepEqual(scaler.logged('could not release the lease; another replica takes over once it expires'), []);
  });
});
