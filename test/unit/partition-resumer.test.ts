import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { PartitionResumer } from '../../src/consumer/partition-resumer.js';
import { waitFor } from '../../deploy/local/system/wait-for.js';

const silent = pino({ level: 'silent' });

describe('PartitionResumer', () => {
  it('tries again when the resume throws, as kafkajs does while its consumer group restarts', async () => {
    const calls: string[] = [];
    const resumer = new PartitionResumer((topic, partition) => {
      calls.push(`${topic}/${partition}`);
      if (calls.length < 3) throw new Error('Consumer group was not initialized, consumer#run must be called first');
    }, silent);
    resumer.after('events', 2, 5);
    await waitFor('the third try to succeed', () => Promise.resolve(calls.length), (count) => count === 3);
    assert.deepEqual(calls, ['events/2', 'events/2', 'events/2']);
    assert.equal(resumer.pending(), 0);
  });

  it('runs no timer after stop(), and adds none', async () => {
    let resumed = 0;
    const resumer = new PartitionResumer(() => (resumed += 1), silent);
    resumer.after('events', 0, 20);
    resumer.stop();
    resumer.after('events', 1, 1);
    assert.equal(resumer.pending(), 0);
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(resumed, 0);
  });

  it('survives kafkajs\' own resume while its consumer group does not exist, until stopped', async () => {
    // No broker is contacted: a kafkajs consumer that has not run has no consumer group, as during a restart.
    const consumer = new Kafka({ brokers: ['127.0.0.1:9'], logLevel: logLevel.NOTHING }).consumer({ groupId: 'g' });
    let tries = 0;
    const resumer = new PartitionResumer((topic, partition) => {
      tries += 1;
      consumer.resume([{ topic, partitions: [partition] }]);
    }, silent);
    resumer.after('events', 0, 5);
    await waitFor('a few failed tries', () => Promise.resolve(tries), (count) => count >= 3);
    assert.equal(resumer.pending(), 1, 'the next try is scheduled');
    resumer.stop();
    assert.equal(resumer.pending(), 0);
  });
});
