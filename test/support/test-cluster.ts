import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import { after, before } from 'node:test';
import { startControlPlane, type ControlPlane } from '../../deploy/local/tools/control-plane.js';
import { kubeRequest, type KubeEndpoint, type KubeRequest } from '../../deploy/local/tools/kube-http.js';

// The first run builds etcd and kube-apiserver from source (well over ten minutes on two cores).
export const CONTROL_PLANE_TIMEOUT_MS = 60 * 60_000;

export interface LeaseView {
  holderIdentity: string;
  leaseDurationSeconds: number;
  leaseTransitions: number;
}

export interface EventView {
  reason: string;
  message: string;
  type: string;
  involvedObject: { kind: string; name: string; uid: string };
  reportingInstance?: string;
}

interface ManagedFieldsEntry {
  manager: string;
  operation: string;
  subresource?: string;
}

/**
 * A real kube-apiserver and etcd (no kubelet, no controllers: Deployments never get pods, but their
 * spec, scale subresource, Leases, Events and RBAC are real), driven as the admin.
 */
export class TestCluster {
  private constructor(
    readonly controlPlane: ControlPlane,
    readonly endpoint: KubeEndpoint,
  ) {}

  static async start(): Promise<TestCluster> {
    const controlPlane = await startControlPlane();
    return new TestCluster(controlPlane, { server: controlPlane.server, ca: await fs.readFile(controlPlane.caFile, 'utf8') });
  }

  /** An admin request that must answer `status`; returns the parsed body. */
  async request<T>(request: KubeRequest, status: number): Promise<T> {
    const response = await kubeRequest(this.endpoint, { token: this.controlPlane.adminToken, ...request });
    assert.equal(response.status, status, `${request.method ?? 'GET'} ${request.path}: ${response.text}`);
    return response.body as T;
  }

  /** The status a request answers with this token, for RBAC checks. */
  async statusAs(token: string, request: KubeRequest): Promise<number> {
    return (await kubeRequest(this.endpoint, { ...request, token })).status;
  }

  /** A fresh namespace per test, so nothing leaks between tests. */
  async createNamespace(): Promise<string> {
    const name = `scaler-${randomUUID().slice(0, 8)}`;
    await this.request({ method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } }, 201);
    return name;
  }

  async createDeployment(namespace: string, name: string, replicas: number): Promise<void> {
    const labels = { app: name };
    await this.request(
      {
        method: 'POST',
        path: `/apis/apps/v1/namespaces/${namespace}/deployments`,
        body: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name, labels: { ...labels, team: 'history' } },
          spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'consumer', image: 'registry.invalid/todo-history:1' }] } } },
        },
      },
      201,
    );
  }

  /** A free Lease, as the chart creates it for the scaler (which never creates one). */
  async createLease(namespace: string, name: string): Promise<void> {
    await this.request(
      { method: 'POST', path: `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`, body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name }, spec: {} } },
      201,
    );
  }

  async deployment(namespace: string, name: string): Promise<{ metadata: { labels: Record<string, string>; managedFields: ManagedFieldsEntry[] }; spec: { replicas: number; template: unknown } }> {
    return this.request({ path: `/apis/apps/v1/namespaces/${namespace}/deployments/${name}` }, 200);
  }

  async replicas(namespace: string, name: string): Promise<number> {
    return (await this.deployment(namespace, name)).spec.replicas;
  }

  async setReplicas(namespace: string, name: string, replicas: number): Promise<void> {
    await this.request(
      { method: 'PATCH', path: `/apis/apps/v1/namespaces/${namespace}/deployments/${name}/scale`, contentType: 'application/merge-patch+json', body: { spec: { replicas } } },
      200,
    );
  }

  /** Sets (a string) or removes (null) one annotation of a Deployment, as `kubectl annotate` does. */
  async annotateDeployment(namespace: string, name: string, annotation: string, value: string | null): Promise<void> {
    await this.request(
      { method: 'PATCH', path: `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`, contentType: 'application/merge-patch+json', body: { metadata: { annotations: { [annotation]: value } } } },
      200,
    );
  }

  async lease(namespace: string, name: string): Promise<LeaseView | undefined> {
    const response = await kubeRequest(this.endpoint, { token: this.controlPlane.adminToken, path: `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}` });
    if (response.status === 404) return undefined;
    assert.equal(response.status, 200, response.text);
    const { spec } = response.body as { spec: { holderIdentity?: string; leaseDurationSeconds?: number; leaseTransitions?: number } };
    return { holderIdentity: spec.holderIdentity ?? '', leaseDurationSeconds: spec.leaseDurationSeconds ?? 0, leaseTransitions: spec.leaseTransitions ?? 0 };
  }

  /** Events about one object, oldest first. */
  async events(namespace: string, involvedName: string): Promise<EventView[]> {
    const list = await this.request<{ items: (EventView & { metadata: { creationTimestamp: string } })[] }>(
      { path: `/api/v1/namespaces/${namespace}/events?fieldSelector=involvedObject.name%3D${involvedName}` },
      200,
    );
    return list.items.sort((a, b) => a.metadata.creationTimestamp.localeCompare(b.metadata.creationTimestamp));
  }

  async stop(): Promise<void> {
    await this.controlPlane.stop();
  }
}

/**
 * One control plane for the enclosing `describe`: started before its tests, stopped after them.
 * Returns its accessor, to call inside the tests.
 */
export function useTestCluster(): () => TestCluster {
  let cluster: TestCluster | undefined;
  before(async () => {
    cluster = await TestCluster.start();
  }, { timeout: CONTROL_PLANE_TIMEOUT_MS });
  after(async () => {
    await cluster?.stop();
  });
  return () => {
    assert.ok(cluster, 'the control plane is started by the suite\'s before hook');
    return cluster;
  };
}
