import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import type pg from 'pg';
import type { Kysely } from 'kysely';
import { loadConfig } from '../../src/config/load-config.js';
import { createPool, databaseOver } from '../../src/db/create-database.js';
import type { Database } from '../../src/db/database.js';
import { writeEventLogs } from '../../src/db/event-log-writer.js';
import { OffsetFencedError, PartitionBatchStore, type OffsetAdvance } from '../../src/db/partition-batch-store.js';
import type { TodoEventLogRow } from '../../src/events/todo-event-log-row.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

const topic = 'store-test';
const clusterId = 'store-test-cluster';

function rows(partition: number, from: number, count: number): TodoEventLogRow[] {
  return Array.from({ length: count }, (_, i) => ({
    timestamp: `2026-11-30T10:00:${String((from + i) % 60).padStart(2, '0')}.123456Z`,
    eventType: 'created',
    entity: 'Task',
    entityId: `t-${from + i}`,
    groupId: 'g',
    groupName: 'Group',
    taskId: `t-${from + i}`,
    taskName: null,
    changes: null,
    userName: 'alice',
    workspace: null,
    eventData: null,
    kafka: { topic, partition, offset: String(from + i) },
  }));
}

describe('PartitionBatchStore: rows and the partition\'s stored offset in one transaction, fenced', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let db: Kysely<Database>;
  let store: PartitionBatchStore;

  async function stored(): Promise<{ offsets: Record<number, string>; coordinates: string[] }> {
    const offsets = await db.selectFrom('todo_event_log_offsets').select(['kafka_partition', 'next_offset', 'kafka_cluster_id']).where('kafka_topic', '=', topic).execute();
    assert.ok(offsets.every((o) => o.kafka_cluster_id === clusterId), 'every stored offset records the cluster it was read from');
    const coordinates = await db.selectFrom('todo_event_logs').select(['kafka_partition', 'kafka_offset']).orderBy('kafka_partition').orderBy('kafka_offset').execute();
    return {
      offsets: Object.fromEntries(offsets.map((o) => [o.kafka_partition, o.next_offset])),
      coordinates: coordinates.map((c) => `${c.kafka_partition}:${c.kafka_offset}`),
    };
  }

  function write(advance: OffsetAdvance, batch: readonly TodoEventLogRow[]) {
    return store.inBatchTransaction(advance, (trx) => trx.writeRows(batch));
  }

  before(async () => {
    database = await createTestDatabase();
    pool = createPool(loadConfig({ DATABASE_URL: database.url }).database, pino({ level: 'silent' }));
    db = databaseOver(pool);
    store = new PartitionBatchStore(pool, db, 2);
  });

  after(async () => {
    await db.destroy();
    await database.drop();
  });

  it('creates the stored offset with the first batch, and refuses a second first batch', async () => {
    assert.deepEqual(await write({ topic, partition: 0, from: null, to: '3', clusterId }, rows(0, 0, 3)), { inserted: 3, duplicates: 0 });
    await assert.rejects(write({ topic, partition: 0, from: null, to: '5', clusterId }, rows(0, 3, 2)), OffsetFencedError);
    assert.deepEqual(await stored(), { offsets: { 0: '3' }, coordinates: ['0:0', '0:1', '0:2'] });
  });

  it('lets a writer that waited for the partition\'s lock find the offset moved on, and store nothing', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = store.inBatchTransaction({ topic, partition: 0, from: '3', to: '6', clusterId }, async (trx) => {
      const result = await trx.writeRows(rows(0, 3, 3));
      await held;
      return result;
    });
    // The zombie started from the same offset: its UPDATE waits for the first transaction's row lock.
    const zombie = write({ topic, partition: 0, from: '3', to: '5', clusterId }, rows(0, 3, 2));
    await new Promise((resolve) => setTimeout(resolve, 300));
    release();
    assert.deepEqual(await first, { inserted: 3, duplicates: 0 });
    await assert.rejects(zombie, (error: unknown) => error instanceof OffsetFencedError && error.advance.from === '3');
    assert.deepEqual((await stored()).offsets, { 0: '6' });
  });

  it('stores only the new rows of a batch that overlaps the table, by INSERT … ON CONFLICT after the COPY fails', async () => {
    await writeEventLogs(db, rows(1, 0, 2), 100);
    assert.deepEqual(await write({ topic, partition: 1, from: null, to: '5', clusterId }, rows(1, 0, 5)), { inserted: 3, duplicates: 2 });
    assert.deepEqual((await stored()).coordinates.filter((c) => c.startsWith('1:')), ['1:0', '1:1', '1:2', '1:3', '1:4']);
  });

  it('undoes only the refused rows, keeping the offset and the rows written before and after them', async () => {
    const tooLong = { ...rows(2, 1, 1)[0]!, eventType: 'x'.repeat(51) };
    const outcome = await store.inBatchTransaction({ topic, partition: 2, from: null, to: '3', clusterId }, async (trx) => {
      const first = await trx.writeRows(rows(2, 0, 1));
      const refused = await trx.writeRows([tooLong]).then(() => 'stored', (error: { code?: string }) => error.code);
      const last = await trx.writeRows(rows(2, 2, 1));
      return { first, refused, last };
    });
    assert.deepEqual(outcome, { first: { inserted: 1, duplicates: 0 }, refused: '22001', last: { inserted: 1, duplicates: 0 } });
    const after = await stored();
    assert.equal(after.offsets[2], '3');
    assert.deepEqual(after.coordinates.filter((c) => c.startsWith('2:')), ['2:0', '2:2']);
  });

  it('stores neither rows nor offset when the batch\'s work fails', async () => {
    await assert.rejects(
      store.inBatchTransaction({ topic, partition: 3, from: null, to: '2', clusterId }, async (trx) => {
        await trx.writeRows(rows(3, 0, 2));
        throw new Error('the dead-letter topic refused');
      }),
      /dead-letter topic refused/,
    );
    const after = await stored();
    assert.equal(after.offsets[3], undefined);
    assert.deepEqual(after.coordinates.filter((c) => c.startsWith('3:')), []);
  });
});
