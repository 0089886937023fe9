import { PatchStrategy, type AppsV1Api } from '@kubernetes/client-node';
import { requestOptions } from './kube-request-options.js';

/** The Deployment's replicas as its scale subresource reports them, and its uid (for Events). */
export interface ScaleState {
  replicas: number;
  uid: string;
}

/**
 * The consumer Deployment's `scale` subresource: the only part of the Deployment the scaler reads or
 * changes, so its RBAC can be limited to `deployments/scale` and nothing else of the Deployment is
 * ever overwritten.
 */
export class DeploymentScale {
  constructor(
    private readonly api: AppsV1Api,
    readonly namespace: string,
    readonly name: string,
  ) {}

  async read(timeoutMs: number): Promise<ScaleState> {
    const scale = await this.api.readNamespacedDeploymentScale({ name: this.name, namespace: this.namespace }, requestOptions(timeoutMs));
    return { replicas: scale.spec?.replicas ?? 0, uid: scale.metadata?.uid ?? '' };
  }

  /** Sets spec.replicas with a merge patch; returns the replicas the API server stored. */
  async set(replicas: number, timeoutMs: number): Promise<number> {
    const scale = await this.api.patchNamespacedDeploymentScale(
      { name: this.name, namespace: this.namespace, body: { spec: { replicas } }, fieldManager: 'todo-history-scaler' },
      requestOptions(timeoutMs, PatchStrategy.MergePatch),
    );
    return scale.spec?.replicas ?? 0;
  }
}
