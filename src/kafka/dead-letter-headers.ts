/**
 * Header names on a dead-lettered message. The original key, value and headers are kept as they were,
 * unless the letter is too large for the topic; then the `truncated` and `dropped` headers say what was cut.
 */
export const deadLetterHeaders = {
  reason: 'dlq.reason',
  error: 'dlq.error',
  topic: 'dlq.original.topic',
  partition: 'dlq.original.partition',
  offset: 'dlq.original.offset',
  timestamp: 'dlq.original.timestamp',
  group: 'dlq.consumer.group',
  valueTruncated: 'dlq.value.truncated',
  valueBytes: 'dlq.original.value.bytes',
  valueSha256: 'dlq.original.value.sha256',
  keyTruncated: 'dlq.key.truncated',
  keyBytes: 'dlq.original.key.bytes',
  keySha256: 'dlq.original.key.sha256',
  headersDropped: 'dlq.original.headers.dropped',
} as const;
