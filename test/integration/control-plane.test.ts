import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { startControlPlane, type ControlPlane } from '../../deploy/local/tools/control-plane.js';
import { kubeRequest, type KubeEndpoint, type KubeRequest, type KubeResponse } from '../../deploy/local/tools/kube-http.js';

const NAMESPACE = 'control-plane-test';
// The first run builds etcd and kube-apiserver from source (well over ten minutes on two cores).
const FIRST_BUILD_TIMEOUT_MS = 60 * 60_000;

interface ObjectWithMeta {
  metadata: { name: string; resourceVersion: string };
}

function bodyOf<T>(response: KubeResponse, expectedStatus: number): T {
  assert.equal(response.status, expectedStatus, response.text);
  return response.body as T;
}

/** Kubernetes MicroTime wants exactly six fractional digits. */
function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

describe('local control plane (etcd + kube-apiserver)', { timeout: FIRST_BUILD_TIMEOUT_MS }, () => {
  let controlPlane: ControlPlane | undefined;
  let endpoint: KubeEndpoint;
  const asAdmin = (request: KubeRequest): Promise<KubeResponse> => {
    assert.ok(controlPlane);
    return kubeRequest(endpoint, { token: controlPlane.adminToken, ...request });
  };

  before(async () => {
    controlPlane = await startControlPlane();
    endpoint = { server: controlPlane.server, ca: await fs.readFile(controlPlane.caFile, 'utf8') };
    bodyOf(await asAdmin({ method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } } }), 201);
  }, { timeout: FIRST_BUILD_TIMEOUT_MS });

  after(async () => {
    await controlPlane?.stop();
  });

  test('writes a kubeconfig that points at the server with the admin token', async () => {
    assert.ok(controlPlane);
    const kubeconfig = JSON.parse(await fs.readFile(controlPlane.kubeconfigPath, 'utf8')) as {
      clusters: { cluster: { server: string; 'certificate-authority': string } }[];
      users: { user: { token: string } }[];
    };
    assert.equal(kubeconfig.clusters[0]?.cluster.server, controlPlane.server);
    assert.equal(kubeconfig.clusters[0]?.cluster['certificate-authority'], controlPlane.caFile);
    assert.equal(kubeconfig.users[0]?.user.token, controlPlane.adminToken);
  });

  test('creates a Deployment, reads its scale and patches it', async () => {
    const deployments = `/apis/apps/v1/namespaces/${NAMESPACE}/deployments`;
    const labels = { app: 'web' };
    bodyOf(
      await asAdmin({
        method: 'POST',
        path: deployments,
        body: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'web' },
          spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'registry.invalid/web:1' }] } } },
        },
      }),
      201,
    );

    const scale = bodyOf<{ kind: string; apiVersion: string; spec: { replicas: number } }>(await asAdmin({ path: `${deployments}/web/scale` }), 200);
    assert.equal(scale.kind, 'Scale');
    assert.equal(scale.apiVersion, 'autoscaling/v1');
    assert.equal(scale.spec.replicas, 1);

    const patched = bodyOf<{ spec: { replicas: number } }>(
      await asAdmin({ method: 'PATCH', path: `${deployments}/web/scale`, contentType: 'application/merge-patch+json', body: { spec: { replicas: 3 } } }),
      200,
    );
    assert.equal(patched.spec.replicas, 3);
    const deployment = bodyOf<{ spec: { replicas: number } }>(await asAdmin({ path: `${deployments}/web` }), 200);
    assert.equal(deployment.spec.replicas, 3);
  });

  test('creates a Lease and renews it with optimistic concurrency', async () => {
    const leases = `/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases`;
    const now = microTime(new Date());
    const created = bodyOf<ObjectWithMeta & { spec: { holderIdentity: string } }>(
      await asAdmin({
        method: 'POST',
        path: leases,
        body: {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: 'leader' },
          spec: { holderIdentity: 'replica-a', leaseDurationSeconds: 15, acquireTime: now, renewTime: now },
        },
      }),
      201,
    );
    assert.equal(created.spec.holderIdentity, 'replica-a');

    const renewed = { ...created, spec: { ...created.spec, renewTime: microTime(new Date(Date.now() + 1000)) } };
    bodyOf(await asAdmin({ method: 'PUT', path: `${leases}/leader`, body: renewed }), 200);
    // The same (now stale) resourceVersion must lose: that is what leader election relies on.
    bodyOf(await asAdmin({ method: 'PUT', path: `${leases}/leader`, body: renewed }), 409);
  });

  test('a ServiceAccount token from the TokenRequest API is limited by RBAC', async () => {
    const namespaced = `/api/v1/namespaces/${NAMESPACE}`;
    const rbac = `/apis/rbac.authorization.k8s.io/v1/namespaces/${NAMESPACE}`;
    bodyOf(await asAdmin({ method: 'POST', path: `${namespaced}/serviceaccounts`, body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'lease-reader' } } }), 201);
    bodyOf(
      await asAdmin({
        method: 'POST',
        path: `${rbac}/roles`,
        body: {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'Role',
          metadata: { name: 'lease-reader' },
          rules: [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list'] }],
        },
      }),
      201,
    );
    bodyOf(
      await asAdmin({
        method: 'POST',
        path: `${rbac}/rolebindings`,
        body: {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'lease-reader' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'lease-reader' },
          subjects: [{ kind: 'ServiceAccount', name: 'lease-reader', namespace: NAMESPACE }],
        },
      }),
      201,
    );
    const tokenRequest = bodyOf<{ status: { token: string } }>(
      await asAdmin({
        method: 'POST',
        path: `${namespaced}/serviceaccounts/lease-reader/token`,
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 } },
      }),
      201,
    );
    const asServiceAccount = (request: KubeRequest): Promise<KubeResponse> => kubeRequest(endpoint, { ...request, token: tokenRequest.status.token });

    bodyOf(await asServiceAccount({ path: `/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases` }), 200);
    bodyOf(await asServiceAccount({ path: `/apis/apps/v1/namespaces/${NAMESPACE}/deployments` }), 403);
    bodyOf(await asServiceAccount({ path: '/api/v1/namespaces/default/secrets' }), 403);
  });
});
