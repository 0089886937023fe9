import { ApiException, V1MicroTime, type CoordinationV1Api, type V1Lease, type V1ObjectMeta } from '@kubernetes/client-node';
import { requestOptions } from './kube-request-options.js';
import type { LeaseSpec, LeaseState, LeaseWrite } from './leader-election.js';

function toState(lease: V1Lease): LeaseState {
  const { spec, metadata } = lease;
  // The client leaves MicroTime fields as the API server's strings rather than Dates.
  const acquireTime = spec?.acquireTime === undefined ? undefined : new Date(spec.acquireTime);
  return {
    resourceVersion: metadata?.resourceVersion ?? '',
    holderIdentity: spec?.holderIdentity ?? '',
    leaseDurationSeconds: spec?.leaseDurationSeconds ?? 0,
    acquireTime: acquireTime === undefined || Number.isNaN(acquireTime.getTime()) ? undefined : acquireTime,
    leaseTransitions: spec?.leaseTransitions ?? 0,
  };
}

function toSpec(spec: LeaseSpec): V1Lease['spec'] {
  return {
    holderIdentity: spec.holderIdentity,
    leaseDurationSeconds: spec.leaseDurationSeconds,
    acquireTime: new V1MicroTime(spec.acquireTime.getTime()),
    renewTime: new V1MicroTime(spec.renewTime.getTime()),
    leaseTransitions: spec.leaseTransitions,
  };
}

/**
 * Reads and writes the one coordination.k8s.io/v1 Lease the scaler replicas elect a leader with. A write
 * replaces the whole object, so it carries the labels and annotations last seen: they are Helm's (the
 * chart creates the Lease), and losing them would make the Lease look like no part of the release.
 */
export class LeaseStore {
  private kept: Pick<V1ObjectMeta, 'labels' | 'annotations'> = {};

  constructor(
    private readonly api: CoordinationV1Api,
    readonly namespace: string,
    readonly name: string,
  ) {}

  /** The Lease, or undefined when it does not exist (the chart has not created it, or has deleted it). */
  async read(timeoutMs: number): Promise<LeaseState | undefined> {
    try {
      return this.seen(await this.api.readNamespacedLease({ name: this.name, namespace: this.namespace }, requestOptions(timeoutMs)));
    } catch (error) {
      if (error instanceof ApiException && Number(error.code) === 404) return undefined;
      throw error;
    }
  }

  /**
   * Replaces the Lease's spec if its resourceVersion is still the one read: the API server answers 409
   * Conflict when someone wrote it in between.
   */
  async write(step: LeaseWrite, timeoutMs: number): Promise<LeaseState> {
    const body: V1Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { ...this.kept, name: this.name, namespace: this.namespace, resourceVersion: step.resourceVersion },
      spec: toSpec(step.spec),
    };
    return this.seen(await this.api.replaceNamespacedLease({ name: this.name, namespace: this.namespace, body }, requestOptions(timeoutMs)));
  }

  private seen(lease: V1Lease): LeaseState {
    const { labels, annotations } = lease.metadata ?? {};
    this.kept = { labels, annotations };
    return toState(lease);
  }
}
