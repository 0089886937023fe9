import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import kafkajs from 'kafkajs';
import { failureFields } from '../../src/process/describe-error.js';

// kafkajs's errors come through its default export: Node finds no named exports of them.
const { KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } = kafkajs;

describe('failureFields', () => {
  it('gives an expected condition its code and message, without a stack', () => {
    assert.deepEqual(failureFields(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })), {
      code: 'ECONNREFUSED',
      reason: 'connect ECONNREFUSED 127.0.0.1:5432',
    });
  });

  it('takes a broker\'s answer and kafkajs\'s own failures for expected conditions', () => {
    const notLeader = new KafkaJSProtocolError(Object.assign(new Error('This server is not the leader for that topic-partition'), { type: 'NOT_LEADER_FOR_PARTITION', code: 6 }));
    assert.deepEqual(failureFields(notLeader), { code: 'NOT_LEADER_FOR_PARTITION', reason: 'This server is not the leader for that topic-partition' });
    const exhausted = new KafkaJSNumberOfRetriesExceeded(new Error('timeout'), { retryCount: 5, retryTime: 100 });
    assert.deepEqual(failureFields(exhausted), { code: 'KafkaJSNumberOfRetriesExceeded', reason: exhausted.message });
  });

  it('keeps the stack of anything else: a bug', () => {
    const bug = new TypeError('x is undefined');
    assert.deepEqual(failureFields(bug), { err: bug });
  });
});
