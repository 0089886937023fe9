import type { AppConfig, KafkaConnectionConfig } from './config-schema.js';
import { redactDatabaseUrl } from './database-url.js';
import type { ScalerConfig } from './scaler-config-schema.js';

const redacted = '[redacted]';

function redactKafka<T extends KafkaConnectionConfig>(kafka: T): T {
  return { ...kafka, sasl: { ...kafka.sasl, password: kafka.sasl.password === '' ? '' : redacted } };
}

/** The effective configuration as it may be logged: no password, in any key, ever. */
export function redactConfig(config: AppConfig): AppConfig {
  return {
    ...config,
    kafka: redactKafka(config.kafka),
    database: {
      ...config.database,
      url: redactDatabaseUrl(config.database.url, redacted),
      password: config.database.password === '' ? '' : redacted,
    },
  };
}

/** The scaler's effective configuration as it may be logged. */
export function redactScalerConfig(config: ScalerConfig): ScalerConfig {
  return { ...config, kafka: redactKafka(config.kafka) };
}
