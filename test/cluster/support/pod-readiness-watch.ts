import { CoreV1Api, makeInformer, type Informer, type ObjectCache, type V1Pod } from '@kubernetes/client-node';
import { kubeConfig } from './kube-config.js';
import type { PodObservation } from './readiness-verdicts.js';

const RESTART_DELAY_MS = 1_000;
const MAX_RESTARTS = 5;

function isReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') === true;
}

/**
 * Every version of a component's pods the API server announces, from a list and a watch (kubernetes'
 * informer, which resumes a watch that times out): each Ready transition is seen in the order the API
 * server made it, with the pod's deletionTimestamp of the same version. A watch that fails is restarted a
 * few times; its errors are kept, since a transition could hide in the gap.
 */
export class PodReadinessWatch {
  readonly observations: PodObservation[] = [];
  readonly errors: string[] = [];
  readonly #informer: Informer<V1Pod> & ObjectCache<V1Pod>;
  #stopped = false;
  #restarts = 0;

  private constructor(namespace: string, component: string) {
    const config = kubeConfig();
    const core = config.makeApiClient(CoreV1Api);
    const labelSelector = `app.kubernetes.io/component=${component}`;
    this.#informer = makeInformer(config, `/api/v1/namespaces/${namespace}/pods`, () => core.listNamespacedPod({ namespace, labelSelector }), labelSelector);
    this.#informer.on('add', (pod) => this.#observe(pod, false));
    this.#informer.on('update', (pod) => this.#observe(pod, false));
    this.#informer.on('delete', (pod) => this.#observe(pod, true));
    this.#informer.on('error', (error: unknown) => this.#restartAfter(error));
  }

  static async start(namespace: string, component: string): Promise<PodReadinessWatch> {
    const watch = new PodReadinessWatch(namespace, component);
    await watch.#informer.start();
    return watch;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#informer.stop();
  }

  /** When each pod's deletion was first seen. */
  deletions(): Map<string, number> {
    const first = new Map<string, number>();
    for (const seen of this.observations) if ((seen.terminating || seen.deleted) && !first.has(seen.pod)) first.set(seen.pod, seen.at);
    return first;
  }

  /** Names of the pods whose latest version is not terminating, Ready or not. */
  livePods(): string[] {
    const last = new Map<string, PodObservation>();
    for (const seen of this.observations) last.set(seen.pod, seen);
    return [...last.values()].filter((seen) => !seen.terminating && !seen.deleted).map((seen) => seen.pod);
  }

  #observe(pod: V1Pod, deleted: boolean): void {
    this.observations.push({
      pod: pod.metadata?.name ?? '',
      at: Date.now(),
      ready: !deleted && isReady(pod),
      terminating: pod.metadata?.deletionTimestamp !== undefined,
      deleted,
    });
  }

  #restartAfter(error: unknown): void {
    this.errors.push(error instanceof Error ? error.message : String(error));
    if (this.#stopped || this.#restarts >= MAX_RESTARTS) return;
    this.#restarts += 1;
    setTimeout(() => {
      if (!this.#stopped) this.#informer.start().catch((restartError: unknown) => this.errors.push(String(restartError)));
    }, RESTART_DELAY_MS);
  }
}
