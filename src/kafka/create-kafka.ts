import { Kafka, logLevel as kafkaLogLevel, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaConnectionConfig } from '../config/config-schema.js';
import { registerCompressionCodecs } from './compression-codecs.js';
import { kafkaTlsOptions } from './kafka-tls-options.js';

function sasl(config: KafkaConnectionConfig['sasl']): SASLOptions | undefined {
  const { mechanism, username, password } = config;
  return mechanism === 'none' ? undefined : { mechanism, username, password };
}

const pinoLevels = {
  [kafkaLogLevel.NOTHING]: 'silent',
  [kafkaLogLevel.ERROR]: 'error',
  [kafkaLogLevel.WARN]: 'warn',
  [kafkaLogLevel.INFO]: 'info',
  [kafkaLogLevel.DEBUG]: 'debug',
} as const;

/** kafkajs logs through our pino logger, as JSON lines like everything else. */
function logCreator(logger: Logger) {
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  return () =>
    ({ level, log }: LogEntry): void => {
      // kafkajs attaches a stack to every connection error it logs: a network condition, not a bug, so
      // its message is kept and the stack dropped (the failure itself is reported by whoever called).
      const { message, timestamp: _timestamp, logger: _name, stack: _stack, ...fields } = log;
      const pinoLevel = pinoLevels[level];
      if (pinoLevel !== 'silent') kafkaLogger[pinoLevel](fields, message);
    };
}

/**
 * A kafkajs client from the config: brokers, TLS and SASL; `overrides` tune its retries and timeouts.
 * Every Kafka codec is registered first, so every command reads batches of any compression.
 */
export function createKafka(config: KafkaConnectionConfig, logger: Logger, overrides: Pick<KafkaConfig, 'retry' | 'requestTimeout'> = {}): Kafka {
  registerCompressionCodecs();
  return new Kafka({
    ...overrides,
    clientId: config.clientId,
    brokers: config.brokers,
    ssl: kafkaTlsOptions(config.ssl),
    sasl: sasl(config.sasl),
    // kafkajs logs every rebalance and retry at info; warn keeps one line per batch readable.
    logLevel: kafkaLogLevel.WARN,
    logCreator: logCreator(logger),
  });
}
