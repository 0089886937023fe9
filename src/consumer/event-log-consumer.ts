import { PartitionAssigners, Partitioners, type Admin, type Batch, type Consumer, type EachBatchPayload, type Kafka, type KafkaJSRecordBatchDecodeError, type Producer } from 'kafkajs';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/config-schema.js';
import type { Database } from '../db/database.js';
import { OffsetFencedError, PartitionBatchStore } from '../db/partition-batch-store.js';
import { readStoredOffsets } from '../db/stored-offsets.js';
import { assertTopicsExist } from '../kafka/assert-topics-exist.js';
import { createDeadLetterPublisher, type PublishDeadLetters } from '../kafka/dead-letter-publisher.js';
import { readClusterId, readCommittedOffsets, readLogExtents } from '../kafka/partition-extents.js';
import { stickyPartitionAssigner } from '../kafka/sticky-assigner.js';
import { readMaxMessageBytes } from '../kafka/topic-max-message-bytes.js';
import type { ConsumerMetrics } from '../metrics/consumer-metrics.js';
import type { ConsumerHealth } from './consumer-health.js';
import { startLagPoller } from './lag-poller.js';
import { describeError, failureFields } from '../process/describe-error.js';
import { backoffDelay } from '../retry/retry-backoff.js';
import { planBatch, type LogExtent } from './batch-plan.js';
import { fetchSettings } from './fetch-settings.js';
import { describeLogMismatch, type LogMismatch, type OffsetRange } from './log-mismatch.js';
import { PartitionPositions, type AssignmentStart } from './partition-positions.js';
import { PartitionResumer } from './partition-resumer.js';
import { splitByDays } from './split-by-days.js';
import { mergeOutcomes, sortBatch, storeSortedBatch, type BatchOutcome } from './store-batch.js';

/**
 * The offset to commit after a batch: past its last record, control records included. kafkajs hides a
 * transaction's commit or abort marker from `messages`, and committing past the last message only would
 * leave every transactional partition one offset behind for ever.
 */
function nextOffset(batch: Pick<Batch, 'lastOffset'>): string {
  return (BigInt(batch.lastOffset()) + 1n).toString();
}

/** Where the consumer reports what it does. */
export interface ConsumerObservers {
  metrics: ConsumerMetrics;
  health: ConsumerHealth;
  now(): number;
}

/**
 * The consumer group member: fetches batches and stores each in one transaction with its partition's
 * next offset, which the table keeps (`todo_event_log_offsets`); the stored offset decides where a
 * partition continues, and the batch's offsets are then committed to Kafka too, for lag tools and
 * autoscalers. A failed batch pauses its partition and is fetched again after a backoff, so the member
 * keeps heartbeating and stays in its group meanwhile.
 */
export class EventLogConsumer {
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly admin: Admin;
  private readonly store: PartitionBatchStore;
  private readonly positions: PartitionPositions;
  /** Set by start(), once the dead-letter topic's size limit is known. */
  private publishDeadLetters: PublishDeadLetters | undefined;
  private readonly failures = new Map<number, number>();
  private readonly resumer: PartitionResumer;
  private readonly reportedStuck = new Set<number>();
  /** The reason each blocked partition was last reported with, so a recheck that finds the same says nothing new. */
  private readonly reportedBlocked = new Map<number, string>();
  private stopped = false;
  private assignedPartitions: readonly number[] = [];
  private stopLagPoller: (() => void) | undefined;
  /** Settles once the partitions of the latest assignment are sought to their stored offsets. */
  private soughtToStored: Promise<void> = Promise.resolve();

  constructor(
    kafka: Kafka,
    pool: pg.Pool,
    db: Kysely<Database>,
    private readonly config: AppConfig,
    private readonly logger: Logger,
    private readonly observers: ConsumerObservers,
  ) {
    const { kafka: kafkaConfig } = config;
    this.consumer = kafka.consumer({
      groupId: kafkaConfig.groupId,
      sessionTimeout: kafkaConfig.sessionTimeoutMs,
      heartbeatInterval: kafkaConfig.heartbeatIntervalMs,
      ...fetchSettings(kafkaConfig),
      allowAutoTopicCreation: false,
      partitionAssigners: [stickyPartitionAssigner(() => ({ [kafkaConfig.topic]: this.assignedPartitions })), PartitionAssigners.roundRobin],
    });
    // The default partitioner, named so kafkajs does not warn about its v2 change on every start.
    this.producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    this.admin = kafka.admin();
    this.resumer = new PartitionResumer((topic, partition) => this.consumer.resume([{ topic, partitions: [partition] }]), logger);
    this.store = new PartitionBatchStore(pool, db, config.database.insertChunkRows);
    const { topic, groupId } = kafkaConfig;
    this.positions = new PartitionPositions(
      {
        readStored: async () => new Map([...(await readStoredOffsets(db, topic))].map(([partition, stored]) => [partition, { offset: stored.nextOffset, clusterId: stored.clusterId }])),
        readCommitted: async () => new Map([...(await readCommittedOffsets(this.admin, groupId, topic))].filter(([, offset]) => offset !== '-1')),
        readExtents: () => readLogExtents(this.admin, topic),
        readClusterId: () => readClusterId(this.admin),
        // A member stopping gives its partitions up, and kafkajs refuses a seek once it has stopped.
        seek: (partition, offset) => {
          if (!this.stopped) this.consumer.seek({ topic, partition, offset });
        },
        commitToGroup: (offsets) => this.consumer.commitOffsets(offsets.map(({ partition, offset }) => ({ topic, partition, offset }))),
      },
      kafkaConfig.fromBeginning,
      logger,
    );
    this.observeGroupMembership();
    this.commitPastFilteredBatches();
  }

  /**
   * Joins the group and starts consuming; resolves once the consumer runs. When a step fails, every
   * client is disconnected again, so `start` can simply be tried again.
   */
  async start(): Promise<void> {
    try {
      await this.connectAndRun();
    } catch (error) {
      await this.disconnectClients().catch(() => undefined);
      throw error;
    }
  }

  private async connectAndRun(): Promise<void> {
    const { topic, dlqTopic, groupId, partitionsConsumedConcurrently } = this.config.kafka;
    await this.admin.connect();
    await assertTopicsExist(this.admin, [topic, dlqTopic]);
    const maxMessageBytes = await readMaxMessageBytes(this.admin, dlqTopic, this.logger);
    this.publishDeadLetters = createDeadLetterPublisher(this.producer, {
      topic: dlqTopic,
      groupId,
      maxMessageBytes,
      readPartitions: async () => (await this.admin.fetchTopicMetadata({ topics: [dlqTopic] })).topics[0]?.partitions ?? [],
    });
    await this.producer.connect();
    await this.consumer.connect();
    // kafkajs applies fromBeginning to every out-of-range reset too, and its "latest" would skip records a
    // stored offset below the log's start still has in the topic. The earliest is always right there;
    // KAFKA_FROM_BEGINNING decides only where a partition with no offset anywhere starts (planStart).
    await this.consumer.subscribe({ topics: [topic], fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently,
      eachBatch: (payload) => this.handleBatch(payload),
    });
    this.stopLagPoller = startLagPoller({
      admin: this.admin,
      topic,
      groupId,
      intervalMs: this.config.health.lagPollIntervalMs,
      assignedPartitions: () => this.assignedPartitions,
      onLag: (partition, lag) => this.recordLag(partition, lag),
      logger: this.logger,
    });
  }

  /** Calls `listener` when kafkajs gives up on the consumer, with a crash it will not restart from. */
  onFatalError(listener: (error: Error) => void): void {
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) listener(payload.error);
    });
  }

  /** Leaves the group after the batch in flight is stored and committed, then closes the clients. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopLagPoller?.();
    this.resumer.stop();
    await this.disconnectClients();
  }

  private async disconnectClients(): Promise<void> {
    await this.consumer.disconnect();
    await this.producer.disconnect();
    await this.admin.disconnect();
  }

  private observeGroupMembership(): void {
    const { health, metrics } = this.observers;
    const { events } = this.consumer;
    this.consumer.on(events.GROUP_JOIN, ({ payload }) => {
      this.assignedPartitions = payload.memberAssignment[this.config.kafka.topic] ?? [];
      const assigned = this.assignedPartitions;
      this.soughtToStored = this.positions.startAssigned(assigned).then(
        (found) => this.reportStart(found),
        (error: unknown) => {
          // A seek that failed leaves kafkajs where it was: every partition reads its stored offset with its first batch.
          for (const partition of assigned) this.positions.forget(partition);
          if (!this.stopped) this.logger.warn({ reason: describeError(error) }, 'starting the assigned partitions failed; each partition reads its stored offset with its first batch');
        },
      );
      metrics.consumerLag.reset();
      // A sample of 0 before any loss, so that an alert's increase() sees the first one.
      for (const partition of this.assignedPartitions) metrics.recordsLostToRetention.inc({ partition: String(partition) }, 0);
      health.joined(this.assignedPartitions);
      this.logger.info({ partitions: this.assignedPartitions, memberId: payload.memberId, assigner: payload.groupProtocol }, 'joined consumer group');
    });
    this.consumer.on(events.REBALANCING, () => health.leftGroup(this.observers.now()));
    this.consumer.on(events.STOP, () => health.leftGroup(this.observers.now()));
    this.consumer.on(events.CRASH, ({ payload }) => {
      if (payload.restart) health.leftGroup(this.observers.now());
      else health.crashed(payload.error.message);
    });
  }

  /**
   * A fetch that holds only control records or aborted messages never reaches eachBatch: kafkajs resolves
   * it itself but, with autoCommit off, commits nothing. Commit its position here, or a partition whose
   * last record is a transaction marker would show a lag of 1 for ever and trip the stall check.
   */
  private commitPastFilteredBatches(): void {
    this.consumer.on(this.consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize > 0 || this.stopped) return;
      const { topic, partition } = payload;
      const offset = nextOffset({ lastOffset: () => payload.lastOffset });
      this.consumer.commitOffsets([{ topic, partition, offset }]).then(
        () => this.recordLag(partition, Number(BigInt(payload.offsetLag))),
        (error: unknown) => this.logger.warn({ ...failureFields(error), topic, partition, offset }, 'committing past control records failed; the next batch commits past them'),
      );
    });
  }

  private reportStart({ blocked, lost }: AssignmentStart): void {
    const { topic } = this.config.kafka;
    for (const { partition, mismatch } of blocked) this.block(topic, partition, mismatch, null);
    for (const { partition, range } of lost) this.recordLost(partition, range);
  }

  private recordLag(partition: number, lag: number): void {
    this.observers.metrics.consumerLag.set({ partition: String(partition) }, lag);
    this.observers.health.lagObserved(partition, lag, this.observers.now());
  }

  private recordBatch(outcome: BatchOutcome, seconds: number): void {
    const { metrics } = this.observers;
    metrics.messagesConsumed.inc(outcome.messages);
    metrics.rowsInserted.inc(outcome.inserted);
    metrics.duplicatesSkipped.inc(outcome.duplicates);
    for (const letter of outcome.deadLetters) metrics.deadLettered.inc({ reason: letter.code });
    for (const source of outcome.timestampFallbacks) metrics.timestampFallbacks.inc({ source });
    metrics.batchSize.observe(outcome.messages);
    metrics.batchWriteSeconds.observe(seconds);
  }

  private async handleBatch({ batch, isStale, resolveOffset, heartbeat, commitOffsetsIfNecessary }: EachBatchPayload): Promise<void> {
    const { topic, partition, messages } = batch;
    const first = batch.firstOffset();
    const last = messages[messages.length - 1];
    const publishDeadLetters = this.publishDeadLetters;
    await this.soughtToStored;
    // A stale batch was fetched before a seek on its partition; the seek's fetch brings it again.
    if (isStale()) return;
    // Records before an undecodable record batch come as a batch of their own and are stored; the next
    // fetch then starts at the undecodable one and holds no message before it.
    if (last === undefined && batch.decodeError !== undefined) {
      await this.retryUndecodable(topic, partition, batch.fetchedOffset, batch.decodeError);
      return;
    }
    if (first === null || last === undefined || publishDeadLetters === undefined) return;
    const started = performance.now();
    const next = nextOffset(batch);
    let outcome: BatchOutcome;
    let transactions: number;
    let lost: OffsetRange | null;
    let clusterId: string;
    // Where a retry fetches from: past the parts of the batch already committed.
    let resumeAt = first;
    try {
      clusterId = await this.positions.currentClusterId();
      const position = await this.positions.of(partition);
      const plan = await planBatch(position, { first, next, highWatermark: batch.highWatermark, clusterId }, () => this.readExtent(partition));
      if (plan.kind === 'blocked') {
        this.block(topic, partition, plan.mismatch, first);
        return;
      }
      if (plan.kind === 'reread') {
        this.positions.rereadFrom(partition, plan.offset, first);
        return;
      }
      if (plan.kind === 'skip') {
        // The table holds the whole batch (a crash between the database commit and the Kafka commit).
        if (plan.seek) {
          this.positions.skipTo(partition, plan.offset);
        } else {
          this.positions.confirm(partition, plan.offset, clusterId);
          resolveOffset(batch.lastOffset());
        }
        await commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset: plan.offset }] }] });
        return;
      }
      const { storeFrom } = plan;
      lost = plan.lost;
      const toStore = storeFrom === null ? messages : messages.filter((m) => BigInt(m.offset) >= BigInt(storeFrom));
      const parts = splitByDays(sortBatch({ topic, partition, messages: toStore }, this.config.events, this.logger), this.config.database.maxDaysPerTransaction);
      const outcomes: BatchOutcome[] = [];
      let from = plan.from;
      for (const [index, part] of parts.entries()) {
        // A part ends where the next begins, the last past the batch: the parts' offset advances chain without a gap.
        const to = parts[index + 1]?.messages[0]?.offset ?? next;
        outcomes.push(await this.store.inBatchTransaction({ topic, partition, from, to, clusterId }, (trx) => storeSortedBatch(part, { writeRows: trx.writeRows, publishDeadLetters })));
        this.positions.confirm(partition, to, clusterId);
        from = to;
        resumeAt = to;
        // A batch of many parts can outlast the session timeout; kafkajs sends one only once the interval is up.
        if (index < parts.length - 1) await heartbeat();
      }
      outcome = mergeOutcomes(outcomes);
      transactions = parts.length;
    } catch (error) {
      if (error instanceof OffsetFencedError) await this.yieldFenced(topic, partition, error);
      else this.retryLater(topic, partition, resumeAt, error);
      return;
    }
    this.positions.confirm(partition, next, clusterId);
    const ms = performance.now() - started;
    this.failures.delete(partition);
    this.clearStuck(partition);
    this.clearBlocked(partition);
    this.observers.health.batchStored(partition, this.observers.now());
    this.observers.metrics.retryBackoffSeconds.set(this.observers.health.currentBackoffMs() / 1000);
    this.recordBatch(outcome, ms / 1000);
    if (lost !== null) this.recordLost(partition, lost);
    // Not consumer.commitOffsets(): kafkajs makes that a silent no-op once the consumer is stopping, which
    // would drop the commit of the last batch on SIGTERM. The table's offset is the truth; the group's
    // committed offset follows it so that lag tools and autoscalers see the progress.
    await commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset: next }] }] });
    resolveOffset(batch.lastOffset());
    this.recordLag(partition, Number(BigInt(batch.highWatermark) - BigInt(next)));
    await heartbeat();
    this.logger.info(
      {
        topic,
        partition,
        firstOffset: first,
        lastOffset: last.offset,
        messages: outcome.messages,
        rowsWritten: outcome.inserted,
        duplicates: outcome.duplicates,
        deadLettered: outcome.deadLetters.length,
        transactions,
        ms: Math.round(ms),
      },
      'batch stored',
    );
  }

  private async readExtent(partition: number): Promise<LogExtent> {
    const extent = (await readLogExtents(this.admin, this.config.kafka.topic)).get(partition);
    if (extent === undefined) throw new Error(`the broker lists no partition ${partition} of ${this.config.kafka.topic}`);
    return extent;
  }

  /**
   * The partition's stored offset cannot belong to the log it reads: it is paused, nothing of it is
   * stored or skipped, and it is looked at again after the longest retry delay, reading its offset from
   * the table anew, so an operator's `offsets reset` unblocks it without a restart.
   */
  private block(topic: string, partition: number, mismatch: LogMismatch, fetchedFrom: string | null): void {
    if (this.stopped) return;
    const reason = describeLogMismatch(partition, mismatch);
    const recheckInMs = this.config.retry.maxDelayMs;
    this.positions.forget(partition);
    this.observers.health.partitionBlocked(partition, recheckInMs, reason);
    this.observers.metrics.partitionBlocked.set({ partition: String(partition), reason: mismatch.code }, 1);
    if (this.reportedBlocked.get(partition) !== reason) {
      this.reportedBlocked.set(partition, reason);
      this.logger.error({ topic, partition, reason: mismatch.code, ...mismatch, recheckInMs }, reason);
    }
    this.consumer.pause([{ topic, partitions: [partition] }]);
    if (fetchedFrom !== null) this.consumer.seek({ topic, partition, offset: fetchedFrom });
    this.resumer.after(topic, partition, recheckInMs);
  }

  private clearBlocked(partition: number): void {
    if (!this.reportedBlocked.delete(partition)) return;
    for (const reason of ['other_cluster', 'past_log_end'] as const) this.observers.metrics.partitionBlocked.set({ partition: String(partition), reason }, 0);
    this.logger.info({ partition }, 'partition no longer blocked: a batch was stored');
  }

  private recordLost(partition: number, { from, to }: OffsetRange): void {
    const records = BigInt(to) - BigInt(from);
    this.observers.metrics.recordsLostToRetention.inc({ partition: String(partition) }, Number(records));
    this.logger.warn(
      { partition, fromOffset: from, toOffset: to, records: records.toString() },
      'records lost to retention: the topic deleted them before they were read; reading on from the log start (README, "Delivery guarantees")',
    );
  }

  /** Another consumer stored the partition meanwhile: this batch is void, and the partition continues from the table. */
  private async yieldFenced(topic: string, partition: number, fenced: OffsetFencedError): Promise<void> {
    this.observers.metrics.offsetsFenced.inc();
    this.logger.warn({ topic, partition, expectedOffset: fenced.advance.from }, fenced.message);
    await this.positions.moved(partition);
  }

  private retryLater(topic: string, partition: number, fromOffset: string, error: unknown): void {
    const retry = this.pauseForRetry(topic, partition, fromOffset, error instanceof Error ? error.message : String(error));
    if (retry !== undefined) this.logger.error({ ...failureFields(error), topic, partition, fromOffset, ...retry }, 'storing batch failed; partition paused until the retry');
  }

  /**
   * A record batch kafkajs cannot decode (corrupt compressed data, say) holds its partition like a batch
   * that cannot be stored: fetched again after a backoff, stuck with the reason once that lasts, while
   * the other partitions go on. Nothing skips it but an operator's `offsets reset` past it, which the
   * table is read again for at every attempt: skipping it here would lose its records silently.
   */
  private async retryUndecodable(topic: string, partition: number, fromOffset: string, error: KafkaJSRecordBatchDecodeError): Promise<void> {
    this.positions.forget(partition);
    const stored = await this.positions.of(partition).then((position) => position.offset, () => null);
    if (stored !== null && BigInt(stored) > BigInt(fromOffset)) {
      this.logger.warn({ topic, partition, storedOffset: stored, batchOffset: error.offset }, 'the stored offset was moved past a record batch that cannot be decoded; continuing from it');
      await this.positions.moved(partition);
      return;
    }
    const retry = this.pauseForRetry(topic, partition, fromOffset, error.message);
    if (retry !== undefined) {
      this.logger.error({ topic, partition, fromOffset, batchOffset: error.offset, reason: error.message, ...retry }, 'record batch cannot be decoded; partition paused until the retry');
    }
  }

  /** Pauses the partition and fetches it again from `fromOffset` after a backoff; undefined once stopping. */
  private pauseForRetry(topic: string, partition: number, fromOffset: string, reason: string): { failures: number; retryInMs: number } | undefined {
    if (this.stopped) return undefined;
    const failures = (this.failures.get(partition) ?? 0) + 1;
    this.failures.set(partition, failures);
    const delayMs = backoffDelay(failures, this.config.retry.initialDelayMs, this.config.retry.maxDelayMs);
    const { health, metrics } = this.observers;
    health.batchFailed(partition, delayMs, reason, this.observers.now());
    metrics.storeRetries.inc();
    metrics.retryBackoffSeconds.set(health.currentBackoffMs() / 1000);
    this.reportStuck(partition);
    this.consumer.pause([{ topic, partitions: [partition] }]);
    this.consumer.seek({ topic, partition, offset: fromOffset });
    this.resumer.after(topic, partition, delayMs);
    return { failures, retryInMs: delayMs };
  }

  private reportStuck(partition: number): void {
    const stuck = this.observers.health.stuckPartitions(this.observers.now()).find((p) => p.partition === partition);
    if (stuck === undefined || this.reportedStuck.has(partition)) return;
    this.reportedStuck.add(partition);
    this.observers.metrics.partitionStuck.set({ partition: String(partition) }, 1);
    this.logger.error(
      { partition, since: new Date(stuck.since).toISOString(), attempts: stuck.attempts, reason: stuck.reason },
      'partition stuck: its batch keeps failing while the process retries; see "A stuck partition" in the README',
    );
  }

  private clearStuck(partition: number): void {
    if (!this.reportedStuck.delete(partition)) return;
    this.observers.metrics.partitionStuck.set({ partition: String(partition) }, 0);
    this.logger.info({ partition }, 'partition no longer stuck: a batch was stored');
  }
}
