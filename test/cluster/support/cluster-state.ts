import { kubectl } from './cluster-commands.js';

export interface DeploymentState {
  readonly replicas: number;
  readonly readyReplicas: number;
}

export async function deploymentState(namespace: string, deployment: string): Promise<DeploymentState> {
  const raw = JSON.parse(await kubectl('-n', namespace, 'get', 'deployment', deployment, '-o', 'json')) as { spec?: { replicas?: number }; status?: { readyReplicas?: number } };
  return { replicas: raw.spec?.replicas ?? 0, readyReplicas: raw.status?.readyReplicas ?? 0 };
}

/** Names of the Ready pods of a component (app.kubernetes.io/component label). */
export async function readyPods(namespace: string, component: string): Promise<string[]> {
  const raw = JSON.parse(await kubectl('-n', namespace, 'get', 'pods', '-l', `app.kubernetes.io/component=${component}`, '-o', 'json')) as {
    items: { metadata: { name: string; deletionTimestamp?: string }; status?: { conditions?: { type: string; status: string }[] } }[];
  };
  return raw.items
    .filter((pod) => pod.metadata.deletionTimestamp === undefined && pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true)
    .map((pod) => pod.metadata.name);
}

/** Reasons of the events recorded for objects of `kind` in the namespace, e.g. a Job's "Completed". */
export async function eventReasons(namespace: string, kind: string): Promise<string[]> {
  const raw = JSON.parse(await kubectl('-n', namespace, 'get', 'events', '--field-selector', `involvedObject.kind=${kind}`, '-o', 'json')) as { items: { reason?: string }[] };
  return raw.items.map((event) => event.reason ?? '');
}

/** How often the kubelet has restarted the containers of a pod, summed. */
export async function restartCount(namespace: string, pod: string): Promise<number> {
  const raw = JSON.parse(await kubectl('-n', namespace, 'get', 'pod', pod, '-o', 'json')) as { status?: { containerStatuses?: { restartCount: number }[] } };
  return (raw.status?.containerStatuses ?? []).reduce((sum, container) => sum + container.restartCount, 0);
}

/** The holder of the namespace's only Lease (the scaler's leader election), or "" when none holds it. */
export async function leaseHolder(namespace: string): Promise<string> {
  const raw = JSON.parse(await kubectl('-n', namespace, 'get', 'leases', '-o', 'json')) as { items: { spec?: { holderIdentity?: string } }[] };
  return raw.items[0]?.spec?.holderIdentity ?? '';
}

export interface PodState {
  readonly name: string;
  readonly ready: boolean;
  /** Deleted and on its way out: unready by design. */
  readonly terminating: boolean;
  /** The images of its containers. */
  readonly images: string[];
  readonly restarts: number;
  readonly annotations: Readonly<Record<string, string>>;
}

/** Every pod of a component (app.kubernetes.io/component label), terminating ones included. */
export async function podStates(namespace: string, component: string): Promise<PodState[]> {
  const raw = JSON.parse(await kubectl('-n', namespace, 'get', 'pods', '-l', `app.kubernetes.io/component=${component}`, '-o', 'json')) as {
    items: {
      metadata: { name: string; deletionTimestamp?: string; annotations?: Record<string, string> };
      spec: { containers: { image: string }[] };
      status?: { conditions?: { type: string; status: string }[]; containerStatuses?: { restartCount: number }[] };
    }[];
  };
  return raw.items.map((pod) => ({
    name: pod.metadata.name,
    ready: pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true,
    terminating: pod.metadata.deletionTimestamp !== undefined,
    images: pod.spec.containers.map((container) => container.image),
    restarts: (pod.status?.containerStatuses ?? []).reduce((sum, container) => sum + container.restartCount, 0),
    annotations: pod.metadata.annotations ?? {},
  }));
}
