import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { deadLetterHeaders } from '../../src/kafka/dead-letter-headers.js';
import { runCli, startCli, type CliProcess } from '../../deploy/local/cli-process.js';
import { findFreePort } from '../../deploy/local/system/free-port.js';
import { groupId, sampleEvents, taskId } from '../../deploy/local/sample-events.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { TestTopics } from '../support/test-topics.js';
import { waitFor } from '../../deploy/local/system/wait-for.js';

const key = groupId;
const poison = { key, value: '{"eventType": "created", "payload": ', headers: { source: 'legacy-app' } };
const missingEntityId = { key, value: JSON.stringify({ eventType: 'created', timestamp: '2025-11-10T10:00:01Z', payload: { entity: 'Task' } }) };

describe('todo-history consume, end to end on Kafka and PostgreSQL', () => {
  let database: TestDatabase;
  let topics: TestTopics;
  let consumer: CliProcess | undefined;
  let httpPort: number;

  function env(): Record<string, string> {
    return {
      ...topics.consumerEnv(),
      DATABASE_URL: database.url,
      LOG_LEVEL: 'debug',
      HTTP_PORT: String(httpPort),
    };
  }

  async function consumeUntilCaughtUp(): Promise<CliProcess> {
    const cli = startCli(['consume'], env());
    consumer = cli;
    const ends = await topics.endOffsets();
    await waitFor(
      'committed offsets to reach the end of every partition',
      () => topics.committedOffsets(),
      (committed) => [...ends].every(([partition, end]) => end === '0' || committed.get(partition) === end),
    );
    return cli;
  }

  async function stop(cli: CliProcess): Promise<number | null> {
    cli.child.kill('SIGTERM');
    const code = await cli.exited;
    consumer = undefined;
    return code;
  }

  /** The partition the events went to: they share one key. */
  async function dataPartition(): Promise<number | undefined> {
    return [...(await topics.endOffsets())].find(([, end]) => end === '7')?.[0];
  }

  interface OffsetsReport {
    partitions: { partition: number; from?: string | null; to?: string; reread?: string; skipped?: string; storedOffset?: string | null; committedOffset?: string | null; lag?: string | null }[];
  }

  async function offsets(args: string[]): Promise<OffsetsReport> {
    const { code, output } = await runCli(['offsets', ...args], { ...env(), LOG_LEVEL: 'warn' });
    assert.equal(code, 0, output);
    return JSON.parse(output) as OffsetsReport;
  }

  before(async () => {
    httpPort = await findFreePort();
    database = await createTestDatabase();
    topics = new TestTopics();
    await topics.create(3);
    const [group, task, status, comment, deleted] = sampleEvents.map((event) => ({ key, value: JSON.stringify(event) }));
    await topics.produce([group!, task!, poison, status!, missingEntityId, comment!, deleted!]);
  });

  after(async () => {
    consumer?.child.kill('SIGKILL');
    await topics.close();
    await database.drop();
  });

  it('stores the reference events column by column and commits past every message', async () => {
    const cli = await consumeUntilCaughtUp();
    const rows = await database.db.selectFrom('todo_event_logs').selectAll().orderBy('timestamp').execute();
    const partition = rows[0]?.kafka_partition;
    assert.ok(partition !== undefined && partition !== null);
    const common = { entity_id: taskId, group_id: groupId, group_name: 'Project Alpha', task_id: taskId, task_name: 'Implement user authentication', kafka_topic: topics.topic, kafka_partition: partition };
    assert.deepEqual(
      rows.map(({ id: _id, ...row }) => row),
      [
        { timestamp: new Date('2025-11-10T10:00:00Z'), event_type: 'created', entity: 'Group', entity_id: groupId, group_id: groupId, group_name: 'Project Alpha', task_id: null, task_name: null, changes: "Group 'Project Alpha' was created", user_name: 'alice', workspace: 'default', event_data: null, kafka_topic: topics.topic, kafka_partition: partition, kafka_offset: '0' },
        { ...common, timestamp: new Date('2025-11-10T15:30:45.123Z'), event_type: 'created', entity: 'Task', changes: "Task 'Implement user authentication' was created", user_name: 'john_doe', workspace: 'default', event_data: null, kafka_offset: '1' },
        { ...common, timestamp: new Date('2025-11-10T16:30:00Z'), event_type: 'status_changed', entity: 'Task', changes: 'Status changed from pending to in-progress', user_name: 'bob', workspace: 'default', event_data: null, kafka_offset: '3' },
        { ...common, timestamp: new Date('2025-11-10T17:05:12.500Z'), event_type: 'commented', entity: 'Task', changes: 'Comment added by bob', user_name: 'bob', workspace: 'default', event_data: { payload: { comment: 'Login works with SSO too' } }, kafka_offset: '5' },
        { ...common, timestamp: new Date('2025-11-10T18:00:00Z'), event_type: 'deleted', entity: 'Task', changes: "Task 'Implement user authentication' was deleted", user_name: 'alice', workspace: null, event_data: null, kafka_offset: '6' },
      ],
    );
    assert.equal((await topics.committedOffsets()).get(partition), '7');
    const stored = await database.db.selectFrom('todo_event_log_offsets').select(['kafka_partition', 'next_offset']).where('kafka_topic', '=', topics.topic).execute();
    assert.deepEqual(stored, [{ kafka_partition: partition, next_offset: '7' }], 'the table keeps the partition\'s next offset');

    // A batch's log line follows its commit: stop first, so every line is in.
    assert.equal(await stop(cli), 0);
    const logs = cli.logLines();
    const batches = logs.filter((line) => line.msg === 'batch stored');
    assert.equal(batches.reduce((sum, b) => sum + Number(b.rowsWritten), 0), 5);
    assert.equal(batches.reduce((sum, b) => sum + Number(b.deadLettered), 0), 2);
    assert.ok(batches.every((b) => typeof b.ms === 'number' && typeof b.firstOffset === 'string' && typeof b.lastOffset === 'string' && typeof b.duplicates === 'number'));
    const eventLines = logs.filter((line) => line.msg === 'event');
    assert.deepEqual(eventLines.map((line) => line.eventType), ['created', 'created', 'status_changed', 'commented', 'deleted']);
    assert.deepEqual(
      { group: eventLines[2]?.group, task: eventLines[2]?.task, changes: eventLines[2]?.changes, time: eventLines[2]?.time },
      { group: 'Project Alpha', task: 'Implement user authentication', changes: 'Status changed from pending to in-progress', time: '2025-11-10T16:30:00Z' },
    );
  });

  it('dead-letters the poison messages with their original key, value, headers and a reason', async () => {
    const letters = await topics.deadLetters(2);
    const [notJson, noEntityId] = [...letters].sort((a, b) => Number(a.headers[deadLetterHeaders.offset]) - Number(b.headers[deadLetterHeaders.offset]));
    assert.equal(notJson?.key, key);
    assert.equal(notJson?.value, poison.value);
    assert.equal(notJson?.headers.source, 'legacy-app');
    assert.equal(notJson?.headers[deadLetterHeaders.reason], 'invalid_json');
    assert.match(notJson?.headers[deadLetterHeaders.error] ?? '', /not JSON/);
    assert.equal(notJson?.headers[deadLetterHeaders.topic], topics.topic);
    assert.equal(notJson?.headers[deadLetterHeaders.offset], '2');
    assert.match(notJson?.headers[deadLetterHeaders.timestamp] ?? '', /^\d{13}$/);
    assert.equal(notJson?.headers[deadLetterHeaders.group], topics.groupId);
    assert.equal(noEntityId?.headers[deadLetterHeaders.reason], 'missing_field');
    assert.equal(noEntityId?.headers[deadLetterHeaders.error], 'payload.entityId is missing or empty');
    assert.equal(noEntityId?.headers[deadLetterHeaders.offset], '4');
  });

  it('continues from the table\'s stored offsets, not from the group\'s, when the group is rewound', async () => {
    await topics.rewindGroup();
    assert.deepEqual(new Set((await topics.committedOffsets()).values()), new Set(['0']));
    const cli = await consumeUntilCaughtUp();
    assert.equal(await database.rowCount(), 5);
    assert.equal(await stop(cli), 0);
    const lines = cli.logLines();
    assert.deepEqual(lines.filter((line) => line.msg === 'batch stored'), [], 'no batch stored again');
    assert.deepEqual(
      lines.filter((line) => line.msg === 'partitions start at their stored offsets, or where the log starts or ends').map((line) => line.partitions),
      [[{ partition: await dataPartition(), offset: '7' }]],
    );
  });

  it('reads a partition again after `offsets reset --to earliest`, and stores nothing twice', async () => {
    const reset = await offsets(['reset', '--to', 'earliest']);
    const moved = reset.partitions.find((move) => move.from !== null);
    assert.deepEqual(moved, { partition: moved?.partition, from: '7', to: '0', reread: '7', skipped: '0' });
    assert.ok(reset.partitions.filter((move) => move !== moved).every((move) => move.from === null && move.to === '0'));
    const cli = startCli(['consume'], env());
    consumer = cli;
    const batches = () => cli.logLines().filter((line) => line.msg === 'batch stored');
    await waitFor('the partition to be read again', async () => batches().reduce((sum, b) => sum + Number(b.duplicates), 0), (duplicates) => duplicates === 5);
    assert.equal(await stop(cli), 0);
    assert.equal(batches().reduce((sum, b) => sum + Number(b.rowsWritten), 0), 0);
    const { rows } = await sql<{ total: string; distinct: string }>`
      SELECT count(*) AS total, count(DISTINCT (kafka_partition, kafka_offset)) AS distinct FROM todo_event_logs`.execute(database.db);
    assert.deepEqual(rows[0], { total: '5', distinct: '5' });
    const shown = await offsets(['show']);
    const partition = shown.partitions.find((p) => p.partition === moved?.partition);
    assert.deepEqual(partition, { ...partition, storedOffset: '7', committedOffset: '7', logStartOffset: '0', logEndOffset: '7', lag: '0' });
    assert.ok(shown.partitions.filter((p) => p !== partition).every((p) => p.storedOffset === '0' && p.lag === '0'));
  });
});
