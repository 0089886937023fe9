import kafkajs, { type Admin } from 'kafkajs';
import type { Logger } from 'pino';

// Not among the names Node detects as named exports of kafkajs' CommonJS module.
const { ConfigResourceTypes } = kafkajs;

// Kafka's default for a topic with no override (broker message.max.bytes).
const kafkaDefaultMaxMessageBytes = 1_048_588;

/**
 * The topic's `max.message.bytes`: the largest record batch its broker accepts, so the largest
 * produce request a publisher may send. When the consumer may not describe the topic's configuration,
 * Kafka's default is assumed and a warning says so.
 */
export async function readMaxMessageBytes(admin: Admin, topic: string, logger: Logger): Promise<number> {
  try {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['max.message.bytes'] }],
    });
    const value = resources[0]?.configEntries.find((entry) => entry.configName === 'max.message.bytes')?.configValue;
    const bytes = Number(value);
    if (Number.isSafeInteger(bytes) && bytes > 0) return bytes;
    logger.warn({ topic, value }, `max.message.bytes of the topic is unreadable; assuming Kafka's default of ${kafkaDefaultMaxMessageBytes}`);
  } catch (error) {
    logger.warn(
      { topic, reason: error instanceof Error ? error.message : String(error) },
      `cannot describe the topic's configuration; assuming Kafka's default max.message.bytes of ${kafkaDefaultMaxMessageBytes}`,
    );
  }
  return kafkaDefaultMaxMessageBytes;
}
