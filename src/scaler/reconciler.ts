import type { Logger } from 'pino';
import type { ScalerMetrics } from '../metrics/scaler-metrics.js';
import type { Clock } from './clock.js';
import { scalerPausedAnnotation, type DeploymentScale } from './deployment-scale.js';
import type { PartitionCounter } from './partition-counter.js';
import { decideReplicas } from './replica-decision.js';
import type { ScaleChange, ScaleEventRecorder } from './scale-event-recorder.js';
import { failureFields, kafkaErrorKind, kubeErrorKind, ScalerError, type ScalerErrorKind, type ScalerOperation } from './scaler-error.js';

export type ReconcileResult =
  | { kind: 'in-sync' | 'scaled' | 'paused'; partitions: number; fromReplicas: number; toReplicas: number }
  /** Leadership lapsed before the change could be made: nothing was changed. */
  | { kind: 'not-leader' };

export interface ReconcilerDeps {
  topic: string;
  minReplicas: number;
  maxReplicas: number;
  /** Time a whole reconcile may take: the renew deadline, so it cannot outlast the leadership it checked. */
  budgetMs: number;
  partitions: PartitionCounter;
  scale: DeploymentScale;
  events: ScaleEventRecorder;
  /** How much longer this replica may act as leader; 0 when it is not the leader. */
  leadershipLeftMs: () => number;
  clock: Clock;
  logger: Logger;
  metrics: ScalerMetrics;
}

async function attempt<T>(operation: ScalerOperation, kindOf: (error: unknown) => ScalerErrorKind, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new ScalerError(operation, kindOf(error), error);
  }
}

/**
 * One comparison of the topic's partitions with the Deployment's replicas, and the change when they
 * differ. Idempotent (the target depends only on the partition count), which is what makes leader
 * election without fencing safe: two leaders for a moment would set the same number.
 */
export class Reconciler {
  /** Whether the last reconcile found the Deployment paused, to log only the changes. */
  private paused = false;

  constructor(private readonly deps: ReconcilerDeps) {}

  /** @throws ScalerError naming the step that failed; a failed step changes nothing. */
  async reconcile(): Promise<ReconcileResult> {
    const { deps } = this;
    const deadline = deps.clock.monotonicMs() + deps.budgetMs;
    const remaining = (): number => Math.max(1, deadline - deps.clock.monotonicMs());

    const partitions = await attempt('partitions', kafkaErrorKind, () => deps.partitions.count(remaining()));
    const scale = await attempt('read_scale', kubeErrorKind, () => deps.scale.read(remaining()));
    const decision = decideReplicas({ topic: deps.topic, partitions, currentReplicas: scale.replicas, minReplicas: deps.minReplicas, maxReplicas: deps.maxReplicas });
    deps.metrics.partitions.set(partitions);
    deps.metrics.currentReplicas.set(scale.replicas);
    deps.metrics.desiredReplicas.set(decision.desiredReplicas);
    deps.metrics.paused.set(scale.paused ? 1 : 0);
    const outcome = { partitions, fromReplicas: scale.replicas, toReplicas: decision.desiredReplicas };
    this.notePause(scale.paused, outcome.fromReplicas);
    if (scale.paused) return { kind: 'paused', ...outcome };
    if (!decision.change) return { kind: 'in-sync', ...outcome };

    const leadershipLeftMs = deps.leadershipLeftMs();
    if (leadershipLeftMs === 0) {
      deps.logger.warn({ ...outcome }, 'leadership lapsed before scaling; leaving the Deployment as it is');
      return { kind: 'not-leader' };
    }
    // The patch may not outlast the leadership it was checked under.
    await attempt('patch_scale', kubeErrorKind, () => deps.scale.set(decision.desiredReplicas, Math.min(remaining(), leadershipLeftMs)));
    deps.metrics.scalePatches.inc();
    deps.logger.info({ deployment: deps.scale.name, namespace: deps.scale.namespace, ...outcome, reason: decision.reason }, 'scaled deployment');
    await this.recordEvent({ deploymentUid: scale.uid, fromReplicas: scale.replicas, toReplicas: decision.desiredReplicas, reason: decision.reason }, remaining());
    return { kind: 'scaled', ...outcome };
  }

  private notePause(paused: boolean, replicas: number): void {
    if (paused === this.paused) return;
    this.paused = paused;
    const { logger, scale } = this.deps;
    const fields = { deployment: scale.name, namespace: scale.namespace, replicas, annotation: scalerPausedAnnotation };
    if (paused) logger.warn(fields, `paused: the Deployment carries ${scalerPausedAnnotation}=true; its replicas are left as they are`);
    else logger.info(fields, `resumed: ${scalerPausedAnnotation} is gone; replicas follow the partitions again`);
  }

  /** The replicas are already right when this runs, so a failed Event is reported but not retried. */
  private async recordEvent(change: ScaleChange, timeoutMs: number): Promise<void> {
    try {
      await this.deps.events.record(change, new Date(this.deps.clock.wallMs()), timeoutMs);
    } catch (error) {
      const failure = new ScalerError('record_event', kubeErrorKind(error), error);
      this.deps.metrics.errors.inc({ operation: failure.operation, kind: failure.code });
      this.deps.logger.warn(failureFields(failure), 'scaled, but could not record the Event');
    }
  }
}
