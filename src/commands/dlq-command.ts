import type { KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/config-schema.js';
import { createDatabase } from '../db/create-database.js';
import { assertPrivileges } from '../db/role-privileges.js';
import { assertSchemaVersion } from '../db/schema-version.js';
import { decodeDeadLetter, type DeadLetterRecord } from '../dlq/dead-letter-record.js';
import { InspectAccumulator } from '../dlq/inspect-summary.js';
import { matchesFilter, type LetterFilter } from '../dlq/letter-filter.js';
import { LetterReplayer } from '../dlq/replay-letters.js';
import { createKafka } from '../kafka/create-kafka.js';
import { scanDeadLetterTopic } from '../kafka/dead-letter-scan.js';
import { failureFields } from '../process/describe-error.js';
import { exitCodes } from './exit-codes.js';

/** `dlq inspect` or `dlq replay`, with the letters they take and how. */
export interface DlqRequest {
  action: 'inspect' | 'replay';
  filter: LetterFilter;
  /** inspect: letters shown per reason. */
  samples: number;
  /** replay: report what would be stored, and store nothing. */
  dryRun: boolean;
  timeoutMs: number;
}

function matching(partition: number, messages: readonly KafkaMessage[], filter: LetterFilter): DeadLetterRecord[] {
  return messages.map((message) => decodeDeadLetter(partition, message)).filter((record) => matchesFilter(record, filter));
}

async function inspect(request: DlqRequest, config: AppConfig, logger: Logger): Promise<unknown> {
  const summary = new InspectAccumulator(config.kafka.dlqTopic, request.samples);
  await scanDeadLetterTopic(
    createKafka(config.kafka, logger),
    config.kafka.dlqTopic,
    async (partition, messages) => {
      summary.countRead(messages.length);
      for (const record of matching(partition, messages, request.filter)) summary.add(record);
    },
    request.timeoutMs,
  );
  return summary.summary();
}

async function replay(request: DlqRequest, config: AppConfig, logger: Logger): Promise<unknown> {
  const db = createDatabase(config.database, logger, { applicationName: 'todo-history-dlq' });
  try {
    await assertSchemaVersion(db);
    // The replay writes as the consumer does, and needs what the consumer needs.
    await assertPrivileges(db, 'consume');
    const replayer = new LetterReplayer(db, config.events, config.database.insertChunkRows, config.database.maxDaysPerTransaction, request.dryRun, logger);
    await scanDeadLetterTopic(
      createKafka(config.kafka, logger),
      config.kafka.dlqTopic,
      async (partition, messages) => {
        replayer.countRead(messages.length);
        await replayer.replay(matching(partition, messages, request.filter));
      },
      request.timeoutMs,
    );
    return replayer.summary();
  } finally {
    await db.destroy();
  }
}

/**
 * Reads the dead-letter topic once, to its end as of the start, and prints a JSON report on stdout:
 * `inspect` counts and samples the letters; `replay` stores those that are valid now (see LetterReplayer).
 * Neither changes the dead-letter topic or the consumer group's offsets.
 */
export async function dlqCommand(request: DlqRequest, config: AppConfig, logger: Logger): Promise<number> {
  try {
    const report = request.action === 'inspect' ? await inspect(request, config, logger) : await replay(request, config, logger);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return exitCodes.ok;
  } catch (error) {
    logger.error(failureFields(error), `dlq ${request.action} failed`);
    return exitCodes.failure;
  }
}
