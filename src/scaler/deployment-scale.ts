import { PatchStrategy, type AppsV1Api } from '@kubernetes/client-node';
import { requestOptions } from './kube-request-options.js';

/**
 * The annotation an operator puts on the consumer Deployment to make the scaler leave its replicas alone,
 * e.g. for `kubectl scale --replicas=0` during an incident: only the value "true" pauses.
 */
export const scalerPausedAnnotation = 'todo-history/scaler-paused';

/** The Deployment's replicas, its uid (for Events), and whether an operator paused the scaler on it. */
export interface ScaleState {
  replicas: number;
  uid: string;
  paused: boolean;
}

/**
 * The consumer Deployment as the scaler sees it: read whole (the pause annotation is not in the scale
 * subresource), changed only through its `scale` subresource, so nothing but spec.replicas is ever
 * written and RBAC can allow `get` on the one Deployment and `patch` on its scale, nothing else.
 */
export class DeploymentScale {
  constructor(
    private readonly api: AppsV1Api,
    readonly namespace: string,
    readonly name: string,
  ) {}

  async read(timeoutMs: number): Promise<ScaleState> {
    const deployment = await this.api.readNamespacedDeployment({ name: this.name, namespace: this.namespace }, requestOptions(timeoutMs));
    return {
      replicas: deployment.spec?.replicas ?? 0,
      uid: deployment.metadata?.uid ?? '',
      paused: deployment.metadata?.annotations?.[scalerPausedAnnotation] === 'true',
    };
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
