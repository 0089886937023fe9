import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { writeEventLogs } from '../../src/db/event-log-writer.js';
import type { TodoEventLogRow } from '../../src/events/todo-event-log-row.js';
import { getGroupLogs, getGroupsSummary, getGroupTasksSummary, getTaskLogs, type GroupSummary, type TaskSummary } from '../../src/index.js';
import { runCli } from '../../deploy/local/cli-process.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

let offset = 0;
function row(timestamp: string, fields: Partial<TodoEventLogRow>): TodoEventLogRow {
  offset += 1;
  return {
    timestamp,
    eventType: 'updated',
    entity: 'Task',
    entityId: fields.taskId ?? 'x',
    groupId: null,
    groupName: null,
    taskId: null,
    taskName: null,
    changes: null,
    userName: 'alice',
    workspace: 'default',
    eventData: null,
    kafka: { topic: 'read-queries', partition: 0, offset: String(offset) },
    ...fields,
  };
}

describe('read queries', () => {
  let database: TestDatabase;

  before(async () => {
    database = await createTestDatabase();
    await writeEventLogs(
      database.db,
      [
        row('2025-11-10T10:00:00Z', { eventType: 'created', entity: 'Group', entityId: 'g1', groupId: 'g1', groupName: 'Alpha' }),
        row('2025-11-10T11:00:00Z', { eventType: 'created', groupId: 'g1', groupName: 'Alpha', taskId: 't1', taskName: 'Login', changes: 'made' }),
        row('2025-11-10T12:00:00Z', { groupId: 'g1', groupName: 'Alpha', taskId: 't2', taskName: 'Logout' }),
        row('2025-11-10T13:00:00Z', { eventType: 'status_changed', groupId: 'g1', groupName: 'Alpha', taskId: 't1', taskName: 'Login' }),
        row('2025-11-10T09:00:00Z', { eventType: 'created', entity: 'Group', entityId: 'g2', groupId: 'g2', groupName: 'Beta' }),
        row('2025-11-10T14:00:00Z', { entity: 'Group', entityId: 'orphan' }),
      ],
      100,
    );
  });

  after(async () => {
    await database.drop();
  });

  it('getGroupLogs returns a group\'s events newest first, in the Go service\'s camelCase shape', async () => {
    const logs = await getGroupLogs(database.db, 'g1');
    assert.deepEqual(logs.map((l) => l.timestamp.toISOString()), ['2025-11-10T13:00:00.000Z', '2025-11-10T12:00:00.000Z', '2025-11-10T11:00:00.000Z', '2025-11-10T10:00:00.000Z']);
    const created = logs[2];
    assert.ok(created !== undefined && typeof created.id === 'number');
    assert.deepEqual({ ...created, id: 0 }, {
      id: 0, timestamp: new Date('2025-11-10T11:00:00Z'), eventType: 'created', entity: 'Task', entityId: 't1', groupId: 'g1',
      groupName: 'Alpha', taskId: 't1', taskName: 'Login', changes: 'made', user: 'alice', workspace: 'default',
    });
  });

  it('getGroupLogs honours limit and the time window', async () => {
    assert.equal((await getGroupLogs(database.db, 'g1', { limit: 2 })).length, 2);
    const window = await getGroupLogs(database.db, 'g1', { since: new Date('2025-11-10T11:00:00Z'), until: new Date('2025-11-10T13:00:00Z') });
    assert.deepEqual(window.map((l) => l.taskName), ['Logout', 'Login']);
  });

  it('getTaskLogs returns a task\'s events newest first', async () => {
    assert.deepEqual((await getTaskLogs(database.db, 't1')).map((l) => l.eventType), ['status_changed', 'created']);
    assert.deepEqual(await getTaskLogs(database.db, 'missing'), []);
  });

  it('getGroupsSummary counts each group\'s events, most recently active first', async () => {
    assert.deepEqual(await getGroupsSummary(database.db), [
      { groupId: 'g1', groupName: 'Alpha', logCount: 4, lastActivity: new Date('2025-11-10T13:00:00Z') },
      { groupId: 'g2', groupName: 'Beta', logCount: 1, lastActivity: new Date('2025-11-10T09:00:00Z') },
    ]);
  });

  it('answers the summaries inside a transaction of the caller\'s, with the rows that transaction sees', async () => {
    let inside: { groups: GroupSummary[]; tasks: TaskSummary[] } | undefined;
    const undo = new Error('roll the deletion back');
    const outcome = await database.db
      .transaction()
      .execute(async (trx) => {
        await sql`DELETE FROM todo_event_logs WHERE group_id = 'g2'`.execute(trx);
        inside = { groups: await getGroupsSummary(trx), tasks: await getGroupTasksSummary(trx, 'g1') };
        throw undo;
      })
      .catch((error: unknown) => error);
    assert.equal(outcome, undo);
    assert.deepEqual(inside?.groups.map((group) => group.groupId), ['g1']);
    assert.deepEqual(inside?.tasks.map((task) => task.taskId), ['t1', 't2']);
    assert.deepEqual((await getGroupsSummary(database.db)).map((group) => group.groupId), ['g1', 'g2']);
  });

  it('getGroupTasksSummary counts a group\'s tasks, most recently active first', async () => {
    assert.deepEqual(await getGroupTasksSummary(database.db, 'g1'), [
      { taskId: 't1', taskName: 'Login', logCount: 2, lastActivity: new Date('2025-11-10T13:00:00Z') },
      { taskId: 't2', taskName: 'Logout', logCount: 1, lastActivity: new Date('2025-11-10T12:00:00Z') },
    ]);
  });

  it('is reachable from the CLI, printing JSON', async () => {
    const { code, output } = await runCli(['logs', 'task', 't1', '--limit', '1'], { DATABASE_URL: database.url });
    assert.equal(code, 0, output);
    const printed = JSON.parse(output) as { eventType: string; timestamp: string }[];
    assert.deepEqual(printed.map((l) => [l.eventType, l.timestamp]), [['status_changed', '2025-11-10T13:00:00.000Z']]);
  });
});
