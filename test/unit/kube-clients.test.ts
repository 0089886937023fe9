import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveNamespace } from '../../src/scaler/kube-clients.js';

describe('resolveNamespace', () => {
  it('prefers the configured namespace', () => {
    assert.equal(resolveNamespace('apps', 'own\n', 'ctx'), 'apps');
  });

  it('falls back to the pod\'s own namespace, then the kubeconfig context\'s, then default', () => {
    assert.equal(resolveNamespace('', 'own\n', 'ctx'), 'own');
    assert.equal(resolveNamespace('', undefined, 'ctx'), 'ctx');
    assert.equal(resolveNamespace('', undefined, undefined), 'default');
    assert.equal(resolveNamespace('', '', ''), 'default');
  });
});
