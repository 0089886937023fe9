import type { Schema } from 'convict';
import { jitterFactor } from '../scaler/leader-election.js';
import { configKeysOf, type ConfigKey } from './config-keys.js';
import {
  httpPortSchema,
  kafkaConnectionSchema,
  logLevelSchema,
  retrySchema,
  topicSchema,
  type KafkaConnectionConfig,
  type LogLevel,
  type RetryConfig,
} from './config-schema.js';
import { kafkaConnectionProblems, loadConfigWith, type Environment } from './load-config.js';

/** Every setting of `todo-history scaler`, the controller that keeps replicas equal to partitions. */
export interface ScalerConfig {
  kafka: KafkaConnectionConfig & { topic: string };
  scaler: {
    /** Namespace of the consumer Deployment; empty means the pod's own (from its service account). */
    namespace: string;
    deployment: string;
    minReplicas: number;
    maxReplicas: number;
    intervalMs: number;
  };
  leaderElection: {
    /** Empty means `<deployment>-scaler`. */
    leaseName: string;
    /** Empty means the host name, which is the pod name in Kubernetes. */
    identity: string;
    leaseDurationMs: number;
    renewDeadlineMs: number;
    retryPeriodMs: number;
  };
  retry: RetryConfig;
  http: { port: number };
  log: { level: LogLevel };
}

export const scalerConfigSchema: Schema<ScalerConfig> = {
  kafka: { ...kafkaConnectionSchema, topic: topicSchema },
  scaler: {
    namespace: {
      doc: 'Namespace of the consumer Deployment; empty means the scaler pod\'s own namespace.',
      format: 'kubernetes-namespace',
      optional: true,
      default: '',
      env: 'SCALER_NAMESPACE',
    },
    deployment: {
      doc: 'Name of the consumer Deployment whose replicas the scaler keeps equal to the partition count.',
      format: 'kubernetes-name',
      default: null,
      env: 'SCALER_DEPLOYMENT',
    },
    minReplicas: {
      doc: 'Fewest replicas, whatever the partition count.',
      format: 'bounded-int',
      min: 0,
      max: 10_000,
      default: 1,
      env: 'SCALER_MIN_REPLICAS',
    },
    maxReplicas: {
      doc: 'Most replicas, whatever the partition count.',
      format: 'bounded-int',
      min: 1,
      max: 10_000,
      default: 100,
      env: 'SCALER_MAX_REPLICAS',
    },
    intervalMs: {
      doc: 'How often the partition count and the replicas are compared, in milliseconds.',
      format: 'bounded-int',
      min: 1_000,
      max: 3_600_000,
      default: 30_000,
      env: 'SCALER_INTERVAL_MS',
    },
  },
  leaderElection: {
    leaseName: {
      doc: 'Name of the coordination.k8s.io Lease the scaler replicas elect a leader with; empty means <deployment>-scaler.',
      format: 'kubernetes-name',
      optional: true,
      default: '',
      env: 'SCALER_LEASE_NAME',
    },
    identity: {
      doc: 'This replica\'s name in the Lease; empty means the host name (the pod name).',
      format: String,
      default: '',
      env: 'SCALER_IDENTITY',
    },
    leaseDurationMs: {
      doc: 'How long a Lease holds without renewal before another replica may take it, in milliseconds; whole seconds, as the Lease stores it.',
      format: 'bounded-int',
      min: 1_000,
      max: 600_000,
      default: 15_000,
      env: 'SCALER_LEASE_DURATION_MS',
    },
    renewDeadlineMs: {
      doc: 'How long the leader keeps trying to renew before it gives the leadership up, in milliseconds.',
      format: 'bounded-int',
      min: 500,
      max: 600_000,
      default: 10_000,
      env: 'SCALER_RENEW_DEADLINE_MS',
    },
    retryPeriodMs: {
      doc: 'How often the Lease is tried (acquired or renewed), in milliseconds.',
      format: 'bounded-int',
      min: 100,
      max: 60_000,
      default: 2_000,
      env: 'SCALER_RETRY_PERIOD_MS',
    },
  },
  retry: retrySchema,
  http: { port: httpPortSchema },
  log: { level: logLevelSchema },
};

/** The scaler's settings; the chart's checks compare the scaler Deployment's env against them. */
export const scalerConfigKeys: readonly ConfigKey[] = configKeysOf(scalerConfigSchema);

/** The scaler's configuration. @throws ConfigError naming every bad key. */
export function loadScalerConfig(env: Environment): ScalerConfig {
  return loadConfigWith(scalerConfigSchema, scalerConfigKeys, env, (config) => {
    const { scaler, leaderElection } = config;
    return [
      ...kafkaConnectionProblems(config.kafka),
      ...(scaler.minReplicas > scaler.maxReplicas ? ['scaler.minReplicas (SCALER_MIN_REPLICAS): must not exceed SCALER_MAX_REPLICAS'] : []),
      ...(leaderElection.renewDeadlineMs >= leaderElection.leaseDurationMs
        ? ['leaderElection.renewDeadlineMs (SCALER_RENEW_DEADLINE_MS): must be below SCALER_LEASE_DURATION_MS']
        : []),
      ...(leaderElection.leaseDurationMs % 1_000 !== 0
        ? ['leaderElection.leaseDurationMs (SCALER_LEASE_DURATION_MS): must be whole seconds (a multiple of 1000): the Lease stores leaseDurationSeconds']
        : []),
      // client-go's rule: the renew deadline leaves a leader room for a second try.
      ...(leaderElection.renewDeadlineMs <= jitterFactor * leaderElection.retryPeriodMs
        ? [`leaderElection.retryPeriodMs (SCALER_RETRY_PERIOD_MS): must be below SCALER_RENEW_DEADLINE_MS / ${jitterFactor}`]
        : []),
    ];
  });
}
