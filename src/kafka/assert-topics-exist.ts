import type { Admin } from 'kafkajs';

/** A topic the service needs does not exist; the service never creates topics itself. */
export class MissingTopicError extends Error {
  readonly code = 'missing_topic';
  readonly retryable = false;

  constructor(readonly topics: readonly string[]) {
    super(`Kafka topic(s) missing: ${topics.join(', ')}; create them first (deploy/ has a Job that does)`);
    this.name = 'MissingTopicError';
  }
}

/** @throws MissingTopicError naming every topic that is not there. */
export async function assertTopicsExist(admin: Admin, topics: readonly string[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((topic) => !existing.has(topic));
  if (missing.length > 0) throw new MissingTopicError(missing);
}
