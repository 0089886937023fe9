import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { deadLetterHeaders } from '../../src/kafka/dead-letter-headers.js';
import { startCli, type CliProcess } from '../../deploy/local/cli-process.js';
import { getProbe, metricValue } from '../support/probes.js';
import { findFreePort } from '../../deploy/local/system/free-port.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { TestTopics } from '../support/test-topics.js';
import { todoEvent, todoEvents } from '../support/todo-event-stream.js';
import { waitFor } from '../../deploy/local/system/wait-for.js';

describe('a row the database rejects in the middle of a batch', () => {
  let database: TestDatabase;
  let topics: TestTopics;
  let consumer: CliProcess;
  let port: number;

  before(async () => {
    database = await createTestDatabase();
    // A real rejection on demand: the schema refuses one value the consumer itself considers valid.
    await sql`ALTER TABLE todo_event_logs ADD CONSTRAINT no_forbidden_changes CHECK (changes <> 'forbidden')`.execute(database.db);
    topics = new TestTopics();
    await topics.create(1);
    const forbidden = todoEvent(50);
    const event = JSON.parse(String(forbidden.value)) as { payload: { changes: string } };
    event.payload.changes = 'forbidden';
    await topics.produce([...todoEvents(0, 50), { key: forbidden.key, value: JSON.stringify(event) }, ...todoEvents(51, 49)]);
    port = await findFreePort();
    consumer = startCli(['consume'], {
      ...topics.consumerEnv(),
      DATABASE_URL: database.url,
      HTTP_PORT: String(port),
    });
  });

  after(async () => {
    consumer.child.kill('SIGKILL');
    await topics.close();
    await database.drop();
  });

  it('dead-letters only that row, with the database\'s reason, and stores its neighbours', async () => {
    await waitFor('the batch to be committed', () => topics.committedOffsets(), (c) => c.get(0) === '100');
    assert.equal(await database.rowCount(), 99);
    const { rows } = await sql<{ offset: string }>`SELECT kafka_offset AS offset FROM todo_event_logs WHERE kafka_offset = 50`.execute(database.db);
    assert.equal(rows.length, 0);
    const [letter] = await topics.deadLetters(1);
    assert.equal(letter?.headers[deadLetterHeaders.reason], 'database_rejected');
    assert.match(letter?.headers[deadLetterHeaders.error] ?? '', /^23514: .*no_forbidden_changes/);
    assert.equal(letter?.headers[deadLetterHeaders.offset], '50');
    const metrics = (await getProbe(port, '/metrics')).body;
    assert.equal(metricValue(metrics, 'todo_history_dead_lettered_total', { reason: 'database_rejected' }), 1);
    assert.equal(metricValue(metrics, 'todo_history_rows_inserted_total'), 99);
    assert.equal(metricValue(metrics, 'todo_history_messages_consumed_total'), 100);
  });
});

describe('a table that refuses every row of a batch', () => {
  let database: TestDatabase;
  let topics: TestTopics;
  let consumer: CliProcess;
  let port: number;

  before(async () => {
    database = await createTestDatabase();
    // What a schema change of the operator's looks like to the consumer: every row breaks a new rule.
    await sql`ALTER TABLE todo_event_logs ADD CONSTRAINT only_audits CHECK (event_type = 'audit')`.execute(database.db);
    topics = new TestTopics();
    await topics.create(1);
    await topics.produce(todoEvents(0, 20));
    port = await findFreePort();
    consumer = startCli(['consume'], {
      ...topics.consumerEnv(),
      DATABASE_URL: database.url,
      HTTP_PORT: String(port),
      RETRY_INITIAL_DELAY_MS: '200',
      RETRY_MAX_DELAY_MS: '500',
      STUCK_PARTITION_TIMEOUT_MS: '2000',
    });
  });

  after(async () => {
    consumer.child.kill('SIGKILL');
    await topics.close();
    await database.drop();
  });

  it('retries instead of dead-lettering, reports the partition stuck, and stores everything once the table accepts rows', async () => {
    const stuck = await waitFor('/readyz to report the stuck partition', () => getProbe(port, '/readyz'), (probe) => probe.status === 503 && probe.body.includes('stuck'));
    assert.match(stuck.body, /partition 0 stuck for \d+ s \(\d+ attempts\): PostgreSQL refused all 20 rows/);
    // The gauge and the error log are set at the first retry past the timeout.
    const metrics = await waitFor('the stuck gauge', async () => (await getProbe(port, '/metrics')).body, (body) => metricValue(body, 'todo_history_partition_stuck', { partition: '0' }) === 1);
    assert.equal(metricValue(metrics, 'todo_history_dead_lettered_total', { reason: 'database_rejected' }), 0);
    assert.equal((await topics.committedOffsets()).get(0), '-1');
    assert.equal((await getProbe(port, '/livez')).status, 200);

    await sql`ALTER TABLE todo_event_logs DROP CONSTRAINT only_audits`.execute(database.db);
    await waitFor('the batch to be committed', () => topics.committedOffsets(), (c) => c.get(0) === '20');
    assert.equal(await database.rowCount(), 20);
    const after = (await getProbe(port, '/metrics')).body;
    assert.equal(metricValue(after, 'todo_history_partition_stuck', { partition: '0' }), 0);
    assert.equal(metricValue(after, 'todo_history_dead_lettered_total', { reason: 'database_rejected' }), 0);
    await waitFor('/readyz to be 200 again', () => getProbe(port, '/readyz'), (probe) => probe.status === 200);
  });
});
