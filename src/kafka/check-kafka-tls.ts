import { isIP } from 'node:net';
import { connect, type ConnectionOptions } from 'node:tls';
import type { KafkaConnectionConfig } from '../config/config-schema.js';
import { ConnectionFailure, diagnoseConnectionFailure } from '../connection/connection-failure.js';
import { describeError } from '../process/describe-error.js';
import { kafkaConnectionSettings } from './kafka-connection-settings.js';
import { kafkaTlsOptions } from './kafka-tls-options.js';

function splitBroker(broker: string): { host: string; port: number } {
  const separator = broker.lastIndexOf(':');
  return { host: broker.slice(0, separator), port: Number(broker.slice(separator + 1)) };
}

/** One TLS handshake with `broker`, closed at once; rejects with the socket's error. */
function handshake(broker: string, options: ConnectionOptions, timeoutMs: number): Promise<void> {
  const { host, port } = splitBroker(broker);
  return new Promise((resolve, reject) => {
    // SNI takes host names only (RFC 6066); the certificate is checked against `host` either way.
    const socket = connect({ ...options, host, port, servername: isIP(host) === 0 ? host : undefined });
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(Object.assign(new Error(`no TLS handshake within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    });
    socket.once('secureConnect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', (error) => {
      socket.destroy();
      reject(error);
    });
  });
}

/**
 * With TLS on, shakes hands with the bootstrap brokers before kafkajs does: kafkajs retries a
 * certificate it cannot verify like a network blip, for over ten seconds, and then reports it in
 * words that lose which setting is wrong. Resolves at the first broker that verifies; a certificate
 * problem throws a ConnectionFailure at once, and when no broker answers, the first one's reason.
 */
export async function checkKafkaTls(config: KafkaConnectionConfig, timeoutMs: number): Promise<void> {
  const options = kafkaTlsOptions(config.ssl);
  if (options === false) return;
  const settings = kafkaConnectionSettings(config);
  let firstFailure: ConnectionFailure | undefined;
  for (const broker of config.brokers) {
    try {
      await handshake(broker, options, timeoutMs);
      return;
    } catch (error) {
      const failure =
        diagnoseConnectionFailure(error, { ...settings, address: broker }) ??
        new ConnectionFailure('tls_handshake_failed', `${settings.server} ${broker}: TLS handshake failed: ${describeError(error)}`);
      if (!failure.retryable) throw failure;
      firstFailure ??= failure;
    }
  }
  if (firstFailure !== undefined) throw firstFailure;
}
