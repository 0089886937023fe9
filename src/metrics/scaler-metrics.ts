import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

/** The scaler's Prometheus metrics, on a registry of their own that also carries the process metrics. */
export function createScalerMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    leader: new Gauge({ name: 'todo_history_scaler_leader', help: '1 while this replica holds the Lease and reconciles, else 0.', registers }),
    lastReconcileSeconds: new Gauge({ name: 'todo_history_scaler_last_reconcile_timestamp_seconds', help: 'Unix time of the last successful reconcile; 0 before the first.', registers }),
    partitions: new Gauge({ name: 'todo_history_scaler_partitions', help: 'Partitions of the topic at the last reconcile.', registers }),
    currentReplicas: new Gauge({ name: 'todo_history_scaler_current_replicas', help: 'The Deployment\'s replicas as read at the last reconcile, before any change.', registers }),
    desiredReplicas: new Gauge({ name: 'todo_history_scaler_desired_replicas', help: 'Replicas the Deployment should have: the partition count within the minimum and maximum.', registers }),
    paused: new Gauge({ name: 'todo_history_scaler_paused', help: '1 while the consumer Deployment carries todo-history/scaler-paused=true and its replicas are left alone, else 0.', registers }),
    scalePatches: new Counter({ name: 'todo_history_scaler_scale_patches_total', help: 'Changes of the Deployment\'s replicas made through its scale subresource.', registers }),
    errors: new Counter({
      name: 'todo_history_scaler_errors_total',
      help: 'Failed steps, by operation (lease, partitions, read_scale, patch_scale, record_event) and kind (e.g. api_unreachable, kafka_unreachable, api_forbidden).',
      labelNames: ['operation', 'kind'] as const,
      registers,
    }),
    retryBackoffSeconds: new Gauge({ name: 'todo_history_scaler_retry_backoff_seconds', help: 'Wait before a failed reconcile is tried again; 0 when the last one succeeded.', registers }),
  };
}

export type ScalerMetrics = ReturnType<typeof createScalerMetrics>;
