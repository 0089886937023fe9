import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Partitioners, type PartitionMetadata, type Producer, type ProducerRecord, type RecordMetadata } from 'kafkajs';
import { deadLetterHeaders } from '../../src/kafka/dead-letter-headers.js';
import { createDeadLetterPublisher, type DeadLetter } from '../../src/kafka/dead-letter-publisher.js';

const topic = 'events.dlq';

function partitions(count: number): PartitionMetadata[] {
  return Array.from({ length: count }, (_, partitionId) => ({ partitionErrorCode: 0, partitionId, leader: partitionId + 1, replicas: [1, 2, 3], isr: [1, 2, 3] }));
}

function letter(offset: number, key: string | null): DeadLetter {
  return {
    topic: 'events',
    partition: 0,
    message: { key: key === null ? null : Buffer.from(key), value: Buffer.from(`bad ${offset}`), timestamp: '0', attributes: 0, offset: String(offset), headers: {} },
    code: 'invalid_json',
    reason: 'not JSON',
  };
}

/** Records what the publisher asks kafkajs to send, in order. */
class RecordingProducer implements Pick<Producer, 'send'> {
  readonly sent: ProducerRecord[] = [];
  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    this.sent.push(record);
    return [];
  }
}

describe('createDeadLetterPublisher', () => {
  it('sends each partition\'s letters in sends of their own, to the partitions kafkajs\' default partitioner picks', async () => {
    const producer = new RecordingProducer();
    const metadata = partitions(3);
    const publish = createDeadLetterPublisher(producer, { topic, groupId: 'g', maxMessageBytes: 1_048_588, readPartitions: async () => metadata });
    const letters = Array.from({ length: 60 }, (_, i) => letter(i, `key-${i % 17}`));
    await publish(letters);

    const partitionsPerSend = producer.sent.map((record) => new Set(record.messages.map((message) => message.partition)));
    assert.ok(producer.sent.length >= 2, 'the keys spread over several partitions');
    assert.ok(partitionsPerSend.every((set) => set.size === 1), 'a send spans one partition');
    const defaultPartitioner = Partitioners.DefaultPartitioner();
    const published = producer.sent.flatMap((record) => record.messages);
    assert.deepEqual(published.map((message) => String(message.headers?.[deadLetterHeaders.offset])).sort(), letters.map((l) => l.message.offset).sort());
    for (const message of published) {
      assert.equal(message.partition, defaultPartitioner({ topic, partitionMetadata: metadata, message: { ...message, partition: undefined } }), 'the partition the key always had');
    }
    assert.ok(producer.sent.every((record) => record.topic === topic && record.acks === -1));
  });

  it('spreads letters without a key over the partitions too, still one partition a send', async () => {
    const producer = new RecordingProducer();
    const publish = createDeadLetterPublisher(producer, { topic, groupId: 'g', maxMessageBytes: 1_048_588, readPartitions: async () => partitions(3) });
    await publish(Array.from({ length: 9 }, (_, i) => letter(i, null)));
    assert.equal(producer.sent.length, 3);
    assert.ok(producer.sent.every((record) => new Set(record.messages.map((message) => message.partition)).size === 1));
  });

  it('refuses to publish, and so to let the batch commit, while the topic has no partitions in the metadata', async () => {
    const producer = new RecordingProducer();
    const publish = createDeadLetterPublisher(producer, { topic, groupId: 'g', maxMessageBytes: 1_048_588, readPartitions: async () => [] });
    await assert.rejects(publish([letter(0, 'k')]), /no partitions/);
    assert.deepEqual(producer.sent, []);
  });

  it('reads the partitions once, and again only after a publish failed', async () => {
    let reads = 0;
    let failNext = false;
    const producer = {
      send: async (): Promise<RecordMetadata[]> => {
        if (failNext) {
          failNext = false;
          throw new Error('leader not available');
        }
        return [];
      },
    };
    const publish = createDeadLetterPublisher(producer, { topic, groupId: 'g', maxMessageBytes: 1_048_588, readPartitions: async () => ((reads += 1), partitions(3)) });
    await publish([letter(0, 'k')]);
    await publish([letter(1, 'k')]);
    assert.equal(reads, 1);
    failNext = true;
    await assert.rejects(publish([letter(2, 'k')]), /leader not available/);
    await publish([letter(2, 'k')]);
    assert.equal(reads, 2);
  });
});
