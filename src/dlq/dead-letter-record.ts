import type { IHeaders, KafkaMessage } from 'kafkajs';
import { deadLetterHeaders } from '../kafka/dead-letter-headers.js';

/** A message of the dead-letter topic, read back: where it came from, why it was refused, and its original. */
export interface DeadLetterRecord {
  /** Where the letter itself is, in the dead-letter topic. */
  letter: { partition: number; offset: string; timestamp: string };
  reason: string;
  error: string;
  original: {
    topic: string;
    partition: number;
    offset: string;
    /** Epoch milliseconds, as kafkajs gives a record's timestamp. */
    timestamp: string;
  };
  /** The original record as the consumer received it: value and timestamp, under its original offset. */
  message: KafkaMessage;
  /** The value was cut to fit the dead-letter topic, so the event cannot be recovered from the letter. */
  valueTruncated: boolean;
}

/** A dead-letter topic message that lacks the headers the consumer writes on every letter. */
export class NotADeadLetterError extends Error {
  constructor(readonly partition: number, readonly offset: string, missing: readonly string[]) {
    super(`message ${partition}/${offset} of the dead-letter topic lacks ${missing.join(', ')}: it was not written by todo-history`);
    this.name = 'NotADeadLetterError';
  }
}

function headerText(value: IHeaders[string]): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

const ownHeaderPrefix = 'dlq.';

/** Decodes one message of the dead-letter topic. @throws NotADeadLetterError when its headers are not ours */
export function decodeDeadLetter(partition: number, message: KafkaMessage): DeadLetterRecord {
  const headers = message.headers ?? {};
  const read = (name: string): string | undefined => headerText(headers[name]);
  const required = [deadLetterHeaders.reason, deadLetterHeaders.topic, deadLetterHeaders.partition, deadLetterHeaders.offset, deadLetterHeaders.timestamp];
  const missing = required.filter((name) => read(name) === undefined);
  if (missing.length > 0) throw new NotADeadLetterError(partition, message.offset, missing);
  const original = {
    topic: read(deadLetterHeaders.topic) ?? '',
    partition: Number(read(deadLetterHeaders.partition)),
    offset: read(deadLetterHeaders.offset) ?? '',
    timestamp: read(deadLetterHeaders.timestamp) ?? '',
  };
  const originalHeaders: IHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (!name.startsWith(ownHeaderPrefix)) originalHeaders[name] = value;
  return {
    letter: { partition, offset: message.offset, timestamp: message.timestamp },
    reason: read(deadLetterHeaders.reason) ?? '',
    error: read(deadLetterHeaders.error) ?? '',
    original,
    message: { key: message.key, value: message.value, attributes: message.attributes, offset: original.offset, timestamp: original.timestamp, headers: originalHeaders },
    valueTruncated: read(deadLetterHeaders.valueTruncated) === 'true',
  };
}
