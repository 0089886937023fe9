import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { KafkaConnectionConfig } from '../config/config-schema.js';

/**
 * Node TLS options for the brokers: the CA to trust (else the system CAs) and, for mutual TLS, a client
 * certificate and key; false with TLS off. The config has checked that the files are readable PEM.
 */
export function kafkaTlsOptions(ssl: KafkaConnectionConfig['ssl']): ConnectionOptions | false {
  if (!ssl.enabled) return false;
  return {
    rejectUnauthorized: ssl.rejectUnauthorized,
    ...(ssl.caFile === '' ? {} : { ca: [readFileSync(ssl.caFile, 'utf8')] }),
    ...(ssl.certFile === '' ? {} : { cert: readFileSync(ssl.certFile, 'utf8'), key: readFileSync(ssl.keyFile, 'utf8') }),
  };
}
