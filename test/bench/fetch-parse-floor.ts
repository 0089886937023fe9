import { loadConfig } from '../../src/config/load-config.js';
import { fetchSettings } from '../../src/consumer/fetch-settings.js';
import { createKafka } from '../../src/kafka/create-kafka.js';
import { createLogger } from '../../src/logging/create-logger.js';

/**
 * The floor of the consumer's CPU per event: a kafkajs consumer with the consumer's own client, codecs
 * and fetch settings (read from the same environment) that decodes every value as UTF-8 JSON and does
 * nothing else: no mapping to rows, no database, no commits. Reads the whole topic from the beginning
 * in a group of its own and prints `first batch N` after its first batch and `parsed N` once `FLOOR_EVENTS` values were parsed; runs until
 * stopped, so its parent can read its CPU time first.
 */
const expected = Number(process.env.FLOOR_EVENTS);
const config = loadConfig(process.env);
const logger = createLogger(config.log.level);
const kafka = createKafka(config.kafka, logger);
const consumer = kafka.consumer({ groupId: config.kafka.groupId, sessionTimeout: config.kafka.sessionTimeoutMs, heartbeatInterval: config.kafka.heartbeatIntervalMs, ...fetchSettings(config.kafka) });
const utf8 = new TextDecoder('utf-8', { fatal: true });
let parsed = 0;
let objects = 0;

process.on('SIGTERM', () => process.exit(0));
await consumer.connect();
await consumer.subscribe({ topics: [config.kafka.topic], fromBeginning: true });
await consumer.run({
  autoCommit: false,
  partitionsConsumedConcurrently: config.kafka.partitionsConsumedConcurrently,
  eachBatch: async ({ batch }) => {
    for (const message of batch.messages) {
      try {
        const value: unknown = JSON.parse(utf8.decode(message.value ?? new Uint8Array()));
        if (typeof value === 'object' && value !== null) objects += 1;
      } catch {
        // The benchmark's topic holds invalid events on purpose; the consumer dead-letters them.
      }
      parsed += 1;
    }
    // Its parent reads the CPU time here, so the per-event figure leaves the start-up out, as the consumer's does.
    if (parsed === batch.messages.length) process.stdout.write(`first batch ${parsed}\n`);
    if (parsed === expected) process.stdout.write(`parsed ${parsed} (${objects} objects)\n`);
  },
});
