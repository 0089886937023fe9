import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { groupId } from '../../deploy/local/sample-events.js';
import { findFreePort } from '../../deploy/local/system/free-port.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { brokers } from '../support/test-topics.js';

const demo = fileURLToPath(new URL('../../deploy/local/demo.js', import.meta.url));

describe('npm start (the demo) on the running services', () => {
  let database: TestDatabase;

  before(async () => {
    database = await createTestDatabase({ migrated: false });
  });

  after(async () => {
    await database.drop();
  });

  it('migrates, consumes the sample events through Kafka and prints the stored history', async () => {
    const topic = `demo-${Date.now()}`;
    const child = spawn(process.execPath, [demo, '--once'], {
      env: { PATH: process.env.PATH ?? '', KAFKA_BROKERS: brokers().join(','), DATABASE_URL: database.url, KAFKA_TOPIC: topic, HTTP_PORT: String(await findFreePort()) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 0, output.slice(-3_000));
    assert.match(output, new RegExp(`todo_event_logs for group ${groupId}`));
    assert.match(output, /"changes": "Task 'Implement user authentication' was deleted"/);
    assert.match(output, /"msg":"batch stored"/);
    assert.equal(await database.rowCount(), 5);
  });
});
