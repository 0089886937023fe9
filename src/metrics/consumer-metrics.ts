import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { rejectionCodes } from '../events/rejection.js';

/** The consumer's Prometheus metrics, on a registry of their own that also carries the process metrics. */
export function createConsumerMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  // prom-client's process metrics count ArrayBuffers only inside nodejs_external_memory_bytes; Kafka fetch
  // responses and query bytes are ArrayBuffers, the part of the external memory that follows the traffic.
  new Gauge({
    name: 'nodejs_array_buffers_bytes',
    help: 'Memory held by ArrayBuffers and Buffers, in bytes (part of nodejs_external_memory_bytes).',
    registers,
    collect() {
      this.set(process.memoryUsage().arrayBuffers);
    },
  });
  const deadLettered = new Counter({ name: 'todo_history_dead_lettered_total', help: 'Messages published to the dead-letter topic, by reason.', labelNames: ['reason'] as const, registers });
  // Every reason exported from the start: a rate() needs a sample before the first dead letter to see it.
  for (const reason of rejectionCodes) deadLettered.inc({ reason }, 0);
  return {
    registry,
    messagesConsumed: new Counter({ name: 'todo_history_messages_consumed_total', help: 'Kafka messages handled (stored, duplicate or dead-lettered).', registers }),
    rowsInserted: new Counter({ name: 'todo_history_rows_inserted_total', help: 'Rows inserted into todo_event_logs.', registers }),
    duplicatesSkipped: new Counter({ name: 'todo_history_duplicates_skipped_total', help: 'Redelivered messages whose row was already stored.', registers }),
    deadLettered,
    batchSize: new Histogram({ name: 'todo_history_batch_size', help: 'Messages per stored batch.', buckets: [1, 10, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000], registers }),
    batchWriteSeconds: new Histogram({ name: 'todo_history_batch_write_duration_seconds', help: 'Time to store a batch: rows committed and dead letters acknowledged.', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers }),
    consumerLag: new Gauge({ name: 'todo_history_consumer_lag', help: 'Messages not yet committed, per assigned partition.', labelNames: ['partition'] as const, registers }),
    storeRetries: new Counter({ name: 'todo_history_store_retries_total', help: 'Batches that failed to store for a transient reason and were scheduled again.', registers }),
    offsetsFenced: new Counter({ name: 'todo_history_offsets_fenced_total', help: 'Batches not stored because their partition\'s stored offset had moved on (another consumer stored it, or an offsets reset).', registers }),
    timestampFallbacks: new Counter({ name: 'todo_history_timestamp_fallbacks_total', help: 'Events whose given timestamp was invalid, stored at the next source\'s time (payload or record).', labelNames: ['source'] as const, registers }),
    partitionStuck: new Gauge({ name: 'todo_history_partition_stuck', help: '1 while a partition\'s batch has kept failing for longer than STUCK_PARTITION_TIMEOUT_MS.', labelNames: ['partition'] as const, registers }),
    partitionBlocked: new Gauge({
      name: 'todo_history_partition_blocked',
      help: '1 while a partition is blocked because its stored offset cannot belong to the log it reads (reason: other_cluster, past_log_end).',
      labelNames: ['partition', 'reason'] as const,
      registers,
    }),
    recordsLostToRetention: new Counter({
      name: 'todo_history_records_lost_to_retention_total',
      help: 'Records deleted from the topic by retention before they were read, per partition.',
      labelNames: ['partition'] as const,
      registers,
    }),
    retryBackoffSeconds: new Gauge({ name: 'todo_history_retry_backoff_seconds', help: 'Longest current backoff before a failed batch is retried; 0 when none is failing.', registers }),
  };
}

export type ConsumerMetrics = ReturnType<typeof createConsumerMetrics>;
