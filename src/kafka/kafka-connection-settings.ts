import type { KafkaConnectionConfig } from '../config/config-schema.js';
import type { ConnectionSettings } from '../connection/connection-failure.js';

/** The Kafka settings a connection failure points the user to. */
export function kafkaConnectionSettings({ brokers, ssl, sasl }: KafkaConnectionConfig): ConnectionSettings {
  return {
    server: 'Kafka broker',
    address: brokers.join(','),
    addressSetting: 'KAFKA_BROKERS',
    tls: { enabled: ssl.enabled, setting: 'KAFKA_SSL_ENABLED' },
    ca: { setting: 'KAFKA_SSL_CA_FILE', file: ssl.caFile },
    credentials: `KAFKA_SASL_USERNAME ("${sasl.username}") and KAFKA_SASL_PASSWORD`,
    mechanism: { setting: 'KAFKA_SASL_MECHANISM', value: sasl.mechanism },
  };
}
