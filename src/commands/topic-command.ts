import type { Logger } from 'pino';
import type { AppConfig } from '../config/config-schema.js';
import { diagnosingFailures } from '../connection/connection-failure.js';
import { assertTopicsExist, MissingTopicError } from '../kafka/assert-topics-exist.js';
import { checkKafkaTls } from '../kafka/check-kafka-tls.js';
import { createKafka } from '../kafka/create-kafka.js';
import { kafkaConnectionSettings } from '../kafka/kafka-connection-settings.js';
import { exitCodes } from './exit-codes.js';
import { logCommandFailure } from './log-command-failure.js';

/** `topic check`: KAFKA_TOPIC exists on KAFKA_BROKERS, with `partitions` partitions when given. */
export interface TopicCheckRequest {
  partitions?: number;
}

const TLS_CHECK_TIMEOUT_MS = 10_000;

/** The topic has a partition count other than the one expected. */
export class PartitionCountMismatchError extends Error {
  readonly code = 'partition_count_mismatch';

  constructor(topic: string, actual: number, expected: number) {
    super(`Kafka topic ${topic} has ${actual} partitions, expected ${expected}: create the topic with ${expected}, or expect ${actual} (the chart's kafka.topic.partitions)`);
    this.name = 'PartitionCountMismatchError';
  }
}

async function partitionCount(config: AppConfig, logger: Logger): Promise<number> {
  const { topic } = config.kafka;
  // Few retries: a person (or `helm test`) waits for the answer.
  const admin = createKafka(config.kafka, logger, { retry: { retries: 2 } }).admin();
  try {
    await diagnosingFailures(kafkaConnectionSettings(config.kafka), async () => {
      await checkKafkaTls(config.kafka, TLS_CHECK_TIMEOUT_MS);
      await admin.connect();
    });
    await assertTopicsExist(admin, [topic]);
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return topics.find((candidate) => candidate.name === topic)?.partitions.length ?? 0;
  } finally {
    await admin.disconnect();
  }
}

/** Prints `topic <name>: <n> partitions` and exits 0, or logs what is wrong and exits 1. */
export async function topicCheckCommand(request: TopicCheckRequest, config: AppConfig, logger: Logger): Promise<number> {
  const { topic, brokers } = config.kafka;
  try {
    const partitions = await partitionCount(config, logger);
    if (request.partitions !== undefined && partitions !== request.partitions) throw new PartitionCountMismatchError(topic, partitions, request.partitions);
    process.stdout.write(`Kafka topic ${topic} on ${brokers.join(',')}: ${partitions} partitions\n`);
    return exitCodes.ok;
  } catch (error) {
    if (error instanceof MissingTopicError || error instanceof PartitionCountMismatchError) logger.error({ code: error.code }, `topic check failed: ${error.message}`);
    else logCommandFailure(logger, error, kafkaConnectionSettings(config.kafka), 'topic check failed');
    return exitCodes.failure;
  }
}
