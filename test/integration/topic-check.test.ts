import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../deploy/local/cli-process.js';
import { findFreePort } from '../../deploy/local/system/free-port.js';
import { TestTopics } from '../support/test-topics.js';

/** The error lines `todo-history` logged: their messages and codes. */
function errorLines(output: string): { msg: unknown; code: unknown }[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: string; msg: unknown; code: unknown })
    .filter((line) => line.level === 'error' || line.level === 'fatal')
    .map(({ msg, code }) => ({ msg, code }));
}

describe('todo-history topic check (the helm test of the brokers and the topic) against a real broker', () => {
  const topics = new TestTopics();

  before(async () => {
    await topics.create(4);
  });

  after(async () => {
    await topics.close();
  });

  it('exits 0 and prints the partition count when the topic has the expected partitions', async () => {
    const { code, output } = await runCli(['topic', 'check', '--partitions', '4'], topics.consumerEnv());
    assert.equal(code, 0, output);
    assert.match(output, new RegExp(`^Kafka topic ${topics.topic} on \\S+: 4 partitions$`, 'm'));
  });

  it('exits 1 naming both counts when the partition count differs', async () => {
    const { code, output } = await runCli(['topic', 'check', '--partitions', '6'], topics.consumerEnv());
    assert.equal(code, 1, output);
    assert.deepEqual(errorLines(output), [
      {
        code: 'partition_count_mismatch',
        msg: `topic check failed: Kafka topic ${topics.topic} has 4 partitions, expected 6: create the topic with 6, or expect 4 (the chart's kafka.topic.partitions)`,
      },
    ]);
  });

  it('exits 1 naming the topic when it does not exist', async () => {
    const missing = `events-${randomUUID()}`;
    const { code, output } = await runCli(['topic', 'check', '--partitions', '4'], { ...topics.consumerEnv(), KAFKA_TOPIC: missing });
    assert.equal(code, 1, output);
    assert.deepEqual(errorLines(output), [{ code: 'missing_topic', msg: `topic check failed: Kafka topic(s) missing: ${missing}; create them first (deploy/ has a Job that does)` }]);
    assert.doesNotMatch(output, /"stack"/);
  });

  it('exits 1 naming the broker setting when no broker answers', async () => {
    const broker = `127.0.0.1:${await findFreePort()}`;
    const { code, output } = await runCli(['topic', 'check'], { ...topics.consumerEnv(), KAFKA_BROKERS: broker });
    assert.equal(code, 1, output);
    const [failure, ...others] = errorLines(output).filter((line) => typeof line.msg === 'string' && line.msg.startsWith('topic check failed'));
    assert.equal(others.length, 0, output);
    assert.equal(failure?.code, 'connection_refused', output);
    assert.match(String(failure?.msg), new RegExp(`${broker}.*KAFKA_BROKERS`), output);
    assert.doesNotMatch(output, /"stack"/);
  });
});
