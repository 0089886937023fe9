import { CompressionTypes, Partitioners, type IHeaders, type KafkaMessage, type Message, type PartitionMetadata, type Producer } from 'kafkajs';
import type { RejectionCode } from '../events/rejection.js';
import { deadLetterHeaders } from './dead-letter-headers.js';
import { fitDeadLetter, recordBatchOverheadBytes, recordSizeBytes } from './dead-letter-size.js';

/** A message that cannot be stored, where it came from, and why. */
export interface DeadLetter {
  topic: string;
  partition: number;
  message: KafkaMessage;
  code: RejectionCode;
  reason: string;
}

// The error text is the one header whose size a message controls (a database's words, a JSON parse
// error); capped so that it never crowds out the value.
const maxErrorHeaderChars = 1_000;

function dlqHeaders(letter: DeadLetter, groupId: string): IHeaders {
  return {
    [deadLetterHeaders.reason]: letter.code,
    [deadLetterHeaders.error]: letter.reason.slice(0, maxErrorHeaderChars),
    [deadLetterHeaders.topic]: letter.topic,
    [deadLetterHeaders.partition]: String(letter.partition),
    [deadLetterHeaders.offset]: letter.message.offset,
    [deadLetterHeaders.timestamp]: letter.message.timestamp,
    [deadLetterHeaders.group]: groupId,
  };
}

/** Splits messages into requests whose record batch stays within `maxBatchBytes` before compression. */
function requestsOf(messages: readonly Message[], maxBatchBytes: number): Message[][] {
  const requests: Message[][] = [];
  let current: Message[] = [];
  let bytes = recordBatchOverheadBytes;
  for (const message of messages) {
    const size = recordSizeBytes(message);
    if (current.length > 0 && bytes + size > maxBatchBytes) {
      requests.push(current);
      current = [];
      bytes = recordBatchOverheadBytes;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) requests.push(current);
  return requests;
}

/** Where and how letters are published. */
export interface DeadLetterTopic {
  topic: string;
  /** The consumer group, named in every letter's headers. */
  groupId: string;
  /** The topic's `max.message.bytes`. */
  maxMessageBytes: number;
  /** The topic's partitions as the cluster sees them now. */
  readPartitions(): Promise<PartitionMetadata[]>;
}

/** Groups messages by the partition kafkajs' default partitioner gives them (murmur2 of the key, as Java's). */
function byPartition(messages: readonly Message[], topic: string, partitionMetadata: PartitionMetadata[], partitioner: ReturnType<typeof Partitioners.DefaultPartitioner>): Map<number, Message[]> {
  const partitions = new Map<number, Message[]>();
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    const group = partitions.get(partition);
    if (group === undefined) partitions.set(partition, [{ ...message, partition }]);
    else group.push({ ...message, partition });
  }
  return partitions;
}

/**
 * Publishes to the dead-letter topic and resolves only once every in-sync replica has the messages
 * (acks: -1), so a bad message's offset is committed only after it is safe elsewhere. Requests are cut
 * to fit the topic's `max.message.bytes` (the broker refuses a larger record batch for good), and a
 * letter too large even alone is published with its value, and if need be its key and headers,
 * truncated, with headers giving the original size and SHA-256.
 *
 * Each send holds the letters of one partition only. kafkajs 2.2.4 keeps, across the retries of a send,
 * the brokers that already answered: when a partition's leader dies and leadership moves to one of those,
 * the retry skips that partition's messages and the send resolves as if they were written
 * (tulios/kafkajs#1798). A send to a single partition has a single leader, which the retry finds anew.
 */
export function createDeadLetterPublisher(producer: Pick<Producer, 'send'>, { topic, groupId, maxMessageBytes, readPartitions }: DeadLetterTopic) {
  const partitioner = Partitioners.DefaultPartitioner();
  // Read once, not per publish: the partition of a letter needs only the partition list, and the producer
  // finds each partition's leader itself. A failed publish reads it again, for partitions added since.
  let partitionMetadata: PartitionMetadata[] | undefined;
  return async (letters: readonly DeadLetter[]): Promise<void> => {
    if (letters.length === 0) return;
    const messages = letters.map((letter) =>
      fitDeadLetter(
        { key: letter.message.key, value: letter.message.value, headers: letter.message.headers ?? {} },
        dlqHeaders(letter, groupId),
        maxMessageBytes,
      ),
    );
    partitionMetadata ??= await readPartitions();
    if (partitionMetadata.length === 0) {
      partitionMetadata = undefined;
      throw new Error(`the dead-letter topic ${topic} has no partitions in the cluster's metadata`);
    }
    try {
      for (const partitionMessages of byPartition(messages, topic, partitionMetadata, partitioner).values()) {
        for (const request of requestsOf(partitionMessages, maxMessageBytes)) {
          await producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages: request });
        }
      }
    } catch (error) {
      partitionMetadata = undefined;
      throw error;
    }
  };
}

export type PublishDeadLetters = ReturnType<typeof createDeadLetterPublisher>;
