import type { ConsumerConfig } from 'kafkajs';
import type { AppConfig } from '../config/config-schema.js';

/** kafkajs' own default for how long a fetch waits for records. */
const defaultMaxWaitTimeMs = 5_000;

/** How the consumer fetches: what each fetch may bring and how long it waits for records. */
export function fetchSettings(kafka: AppConfig['kafka']): Pick<ConsumerConfig, 'maxBytesPerPartition' | 'maxWaitTimeInMs'> {
  return {
    maxBytesPerPartition: kafka.maxBytesPerPartition,
    // kafkajs heartbeats between fetches only: an idle member waiting out a fetch's 5 s default would
    // notice a rebalance that late, and hold up the whole group meanwhile.
    maxWaitTimeInMs: Math.min(kafka.heartbeatIntervalMs, defaultMaxWaitTimeMs),
  };
}
