import type { CoreV1Api, CoreV1Event } from '@kubernetes/client-node';
import { requestOptions } from './kube-request-options.js';

const component = 'todo-history-scaler';

/** One change of replicas, as `kubectl describe deployment` should show it. */
export interface ScaleChange {
  deploymentUid: string;
  fromReplicas: number;
  toReplicas: number;
  reason: string;
}

/** Records a Kubernetes Event on the consumer Deployment for every change of its replicas. */
export class ScaleEventRecorder {
  constructor(
    private readonly api: CoreV1Api,
    private readonly namespace: string,
    private readonly deployment: string,
    private readonly identity: string,
  ) {}

  async record(change: ScaleChange, at: Date, timeoutMs: number): Promise<void> {
    const body: CoreV1Event = {
      metadata: { generateName: `${this.deployment}.`, namespace: this.namespace },
      involvedObject: { apiVersion: 'apps/v1', kind: 'Deployment', name: this.deployment, namespace: this.namespace, uid: change.deploymentUid },
      type: 'Normal',
      reason: 'ScaledToPartitions',
      message: `Scaled replicas from ${change.fromReplicas} to ${change.toReplicas}: ${change.reason}`,
      source: { component },
      reportingComponent: component,
      reportingInstance: this.identity,
      firstTimestamp: at,
      lastTimestamp: at,
      count: 1,
    };
    await this.api.createNamespacedEvent({ namespace: this.namespace, body }, requestOptions(timeoutMs));
  }
}
