import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiException } from '@kubernetes/client-node';
import { TimeoutError } from '../../src/async/with-timeout.js';
import { kafkaErrorKind, kubeErrorKind, ScalerError } from '../../src/scaler/scaler-error.js';

/** What undici's fetch throws when a request gets no answer: the socket's error is the cause. */
function fetchFailed(code: string, message = `connect ${code} 127.0.0.1:6443`): TypeError {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(message), { code }) });
}

function kafkaError(name: string, fields: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(name), { name, ...fields });
}

describe('kubeErrorKind', () => {
  it('classifies API answers by status', () => {
    const status = (code: number) => kubeErrorKind(new ApiException(code, 'x', undefined, {}));
    assert.deepEqual([401, 403, 404, 409, 422, 429, 500, 503].map(status), [
      'api_forbidden',
      'api_forbidden',
      'api_not_found',
      'api_conflict',
      'api_rejected',
      'api_unreachable',
      'api_unreachable',
      'api_unreachable',
    ]);
  });

  it('calls no answer at all unreachable: refused, reset, aborted, timed out', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'UND_ERR_SOCKET', 'DEPTH_ZERO_SELF_SIGNED_CERT']) {
      assert.equal(kubeErrorKind(fetchFailed(code)), 'api_unreachable', code);
    }
    assert.equal(kubeErrorKind(Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' })), 'api_unreachable');
    assert.equal(kubeErrorKind(new TimeoutError('reading the scale', 10)), 'api_unreachable');
  });

  it('calls anything else internal, so a bug is not mistaken for an outage', () => {
    assert.equal(kubeErrorKind(new TypeError('x is undefined')), 'internal');
    assert.equal(kubeErrorKind(new TypeError('x is undefined', { cause: new Error('no code') })), 'internal');
  });
});

describe('kafkaErrorKind', () => {
  it('finds a missing topic even when kafkajs wrapped it', () => {
    const missing = kafkaError('KafkaJSProtocolError', { type: 'UNKNOWN_TOPIC_OR_PARTITION' });
    assert.equal(kafkaErrorKind(missing), 'topic_not_found');
    assert.equal(kafkaErrorKind(kafkaError('KafkaJSNonRetriableError', { originalError: missing })), 'topic_not_found');
  });

  it('calls connection failures and timeouts unreachable', () => {
    assert.equal(kafkaErrorKind(kafkaError('KafkaJSConnectionError')), 'kafka_unreachable');
    assert.equal(kafkaErrorKind(kafkaError('KafkaJSNumberOfRetriesExceeded', { originalError: kafkaError('KafkaJSConnectionError') })), 'kafka_unreachable');
    assert.equal(kafkaErrorKind(new TimeoutError('reading the partition count', 10)), 'kafka_unreachable');
  });

  it('calls other broker answers kafka_error', () => {
    assert.equal(kafkaErrorKind(kafkaError('KafkaJSProtocolError', { type: 'TOPIC_AUTHORIZATION_FAILED' })), 'kafka_error');
  });
});

describe('ScalerError', () => {
  it('names the operation and kind, and shows the Kubernetes Status message rather than the whole response', () => {
    const body = JSON.stringify({ kind: 'Status', message: 'deployments.apps "web" not found', code: 404 });
    const error = new ScalerError('read_scale', 'api_not_found', new ApiException(404, 'Unknown API Status Code!', body, { 'audit-id': 'x' }));
    assert.equal(error.message, 'read_scale failed (api_not_found): HTTP 404: deployments.apps "web" not found');
    assert.equal(error.transient, false, 'a missing Deployment needs a person');
  });

  it('says why a request got no answer, not just "fetch failed"', () => {
    const error = new ScalerError('lease', 'api_unreachable', fetchFailed('ECONNREFUSED'));
    assert.equal(error.message, 'lease failed (api_unreachable): connect ECONNREFUSED 127.0.0.1:6443');
  });

  it('calls outages transient', () => {
    assert.equal(new ScalerError('lease', 'api_unreachable', new Error('refused')).transient, true);
    assert.equal(new ScalerError('partitions', 'kafka_unreachable', new Error('refused')).transient, true);
    assert.equal(new ScalerError('patch_scale', 'api_forbidden', new Error('no')).transient, false);
  });
});
