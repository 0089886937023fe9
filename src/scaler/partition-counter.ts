import type { Admin, Kafka } from 'kafkajs';
import { withTimeout } from '../async/with-timeout.js';
import type { KafkaConnectionConfig } from '../config/config-schema.js';
import { diagnosingFailures } from '../connection/connection-failure.js';
import { checkKafkaTls } from '../kafka/check-kafka-tls.js';
import { kafkaConnectionSettings } from '../kafka/kafka-connection-settings.js';

/** Reads a topic's partition count from a broker's metadata (fresh on every call, never cached). */
export class PartitionCounter {
  private readonly admin: Admin;
  private connected = false;

  /** `kafka`, made from `connection`, should not retry by itself: the reconcile loop retries with its own backoff. */
  constructor(
    kafka: Kafka,
    private readonly connection: KafkaConnectionConfig,
    private readonly topic: string,
  ) {
    this.admin = kafka.admin();
  }

  async count(timeoutMs: number): Promise<number> {
    try {
      return await withTimeout('reading the partition count', timeoutMs, this.read(timeoutMs));
    } catch (error) {
      // Start over with fresh connections next time rather than trust a half-broken client.
      await this.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    this.connected = false;
    await this.admin.disconnect().catch(() => undefined);
  }

  private async read(timeoutMs: number): Promise<number> {
    if (!this.connected) {
      // A certificate or password that is wrong is named as such, with the setting to fix.
      await diagnosingFailures(kafkaConnectionSettings(this.connection), async () => {
        await checkKafkaTls(this.connection, timeoutMs);
        await this.admin.connect();
      });
      this.connected = true;
    }
    const { topics } = await this.admin.fetchTopicMetadata({ topics: [this.topic] });
    const partitions = topics.find((t) => t.name === this.topic)?.partitions.length ?? 0;
    if (partitions === 0) throw new Error(`topic ${this.topic} has no partitions in the metadata`);
    return partitions;
  }
}
