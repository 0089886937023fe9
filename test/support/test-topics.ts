import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Admin, type IHeaders, type Message, type Producer } from 'kafkajs';

export function brokers(): string[] {
  const list = process.env.KAFKA_BROKERS;
  if (list === undefined) throw new Error('KAFKA_BROKERS is not set: run the tests with `npm test`, which starts Kafka');
  return list.split(',');
}

/** A received dead letter, decoded for assertions. */
export interface ReceivedMessage {
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  offset: string;
}

/** Unique topic, dead-letter topic and group names for one test, with a client to drive them. */
export class TestTopics {
  readonly dlqTopic: string;
  readonly kafka: Kafka;
  private readonly admin: Admin;
  private readonly producer: Producer;

  /**
   * `brokerList` defaults to KAFKA_BROKERS; fault tests pass the broker they restart. A test of another
   * cluster passes the names of the first one's topic and group.
   */
  constructor(
    private readonly brokerList: string[] = brokers(),
    readonly topic = `events-${randomUUID()}`,
    readonly groupId = `group-${randomUUID()}`,
  ) {
    this.dlqTopic = `${topic}.dlq`;
    this.kafka = new Kafka({ clientId: 'todo-history-test', brokers: brokerList, logLevel: logLevel.NOTHING });
    this.admin = this.kafka.admin();
    // Idempotent: a send retried across a broker restart must not add a record the tests do not expect.
    this.producer = this.kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1, retry: { retries: 10 } });
  }

  /** Creates the topics; `topicConfig` sets configuration entries of the main topic (e.g. max.message.bytes). */
  async create(partitions: number, topicConfig: Record<string, string> = {}): Promise<void> {
    await Promise.all([this.admin.connect(), this.producer.connect()]);
    const configEntries = Object.entries(topicConfig).map(([name, value]) => ({ name, value }));
    await this.admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: this.topic, numPartitions: partitions, configEntries },
        { topic: this.dlqTopic, numPartitions: 1 },
      ],
    });
  }

  /** Raises the main topic's partition count to `count` (Kafka never lowers it). */
  async addPartitions(count: number): Promise<void> {
    await this.admin.createPartitions({ topicPartitions: [{ topic: this.topic, count }] });
  }

  /** The settings that point `todo-history consume` at these topics and this group. */
  consumerEnv(): Record<string, string> {
    return { KAFKA_BROKERS: this.brokerList.join(','), KAFKA_TOPIC: this.topic, KAFKA_DLQ_TOPIC: this.dlqTopic, KAFKA_GROUP_ID: this.groupId };
  }

  /** Produces in sends of at most 1,000 messages, below the broker's request size limit. */
  async produce(messages: Message[]): Promise<void> {
    for (let start = 0; start < messages.length; start += 1_000) {
      await this.producer.send({ topic: this.topic, acks: -1, messages: messages.slice(start, start + 1_000) });
    }
  }

  /** Offsets the group committed on the main topic, by partition ("-1" where none). */
  async committedOffsets(groupId = this.groupId): Promise<Map<number, string>> {
    const [committed] = await this.admin.fetchOffsets({ groupId, topics: [this.topic] });
    return new Map((committed?.partitions ?? []).map((p) => [p.partition, p.offset]));
  }

  /** The next offset to be written, by partition: where a caught-up group's committed offsets stand. */
  async endOffsets(): Promise<Map<number, string>> {
    const offsets = await this.admin.fetchTopicOffsets(this.topic);
    return new Map(offsets.map((p) => [p.partition, p.high]));
  }

  /** Sets the group's offsets back to 0 on every partition (the group must have no live members). */
  async rewindGroup(): Promise<void> {
    const partitions = [...(await this.endOffsets()).keys()].map((partition) => ({ partition, offset: '0' }));
    await this.admin.setOffsets({ groupId: this.groupId, topic: this.topic, partitions });
  }

  /** Every message on the dead-letter topic, read by a fresh group from the beginning. */
  async deadLetters(expected: number): Promise<ReceivedMessage[]> {
    const consumer = this.kafka.consumer({ groupId: `dlq-reader-${randomUUID()}` });
    const received: ReceivedMessage[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: this.dlqTopic, fromBeginning: true });
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          received.push({
            key: message.key?.toString() ?? null,
            value: message.value?.toString() ?? null,
            headers: decodeHeaders(message.headers ?? {}),
            offset: message.offset,
          });
          if (received.length >= expected) resolve();
        },
      });
    });
    const timeout = new Promise<void>((_, reject) => setTimeout(() => reject(new Error(`only ${received.length} of ${expected} dead letters arrived`)), 30_000));
    try {
      await Promise.race([done, timeout]);
    } finally {
      await consumer.disconnect();
    }
    return received;
  }

  async close(): Promise<void> {
    await this.admin.deleteTopics({ topics: [this.topic, this.dlqTopic] }).catch(() => undefined);
    await Promise.all([this.admin.disconnect(), this.producer.disconnect()]);
  }
}

function decodeHeaders(headers: IHeaders): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([key, value]) => [key, String(value)]));
}
