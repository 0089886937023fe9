import type { IHeaders, KafkaMessage, Producer } from 'kafkajs';
import type { RejectionCode } from '../events/rejection.js';

/** A message that cannot be stored, where it came from, and why. */
export interface DeadLetter {
  topic: string;
  partition: number;
  message: KafkaMessage;
  code: RejectionCode;
  reason: string;
}

/** Header names on a dead-lettered message; the original key, value and headers are kept as they were. */
export const deadLetterHeaders = {
  reason: 'dlq.reason',
  error: 'dlq.error',
  topic: 'dlq.original.topic',
  partition: 'dlq.original.partition',
  offset: 'dlq.original.offset',
  timestamp: 'dlq.original.timestamp',
  group: 'dlq.consumer.group',
} as const;

function headersOf(letter: DeadLetter, groupId: string): IHeaders {
  return {
    ...letter.message.headers,
    [deadLetterHeaders.reason]: letter.code,
    [deadLetterHeaders.error]: letter.reason,
    [deadLetterHeaders.topic]: letter.topic,
    [deadLetterHeaders.partition]: String(letter.partition),
    [deadLetterHeaders.offset]: letter.message.offset,
    [deadLetterHeaders.timestamp]: letter.message.timestamp,
    [deadLetterHeaders.group]: groupId,
  };
}

/**
 * Publishes to the dead-letter topic and resolves only once every in-sync replica has the messages
 * (acks: -1), so a bad message's offset is committed only after it is safe elsewhere.
 */
export function createDeadLetterPublisher(producer: Producer, dlqTopic: string, groupId: string) {
  return async (letters: readonly DeadLetter[]): Promise<void> => {
    if (letters.length === 0) return;
    await producer.send({
      topic: dlqTopic,
      acks: -1,
      messages: letters.map((letter) => ({
        key: letter.message.key,
        value: letter.message.value,
        headers: headersOf(letter, groupId),
      })),
    });
  };
}

export type PublishDeadLetters = ReturnType<typeof createDeadLetterPublisher>;
