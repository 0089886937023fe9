import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactScalerConfig } from '../../src/config/redact-config.js';
import { loadScalerConfig, scalerConfigKeys } from '../../src/config/scaler-config-schema.js';
import { configProblems } from '../support/config-problems.js';

const required = { SCALER_DEPLOYMENT: 'todo-history' };

const problemsOf = (env: Record<string, string>): readonly string[] => configProblems(env, loadScalerConfig);

describe('loadScalerConfig', () => {
  it('defaults to client-go\'s lease timings and a namespace and lease name derived at start', () => {
    const config = loadScalerConfig(required);
    assert.deepEqual(config.scaler, { namespace: '', deployment: 'todo-history', minReplicas: 1, maxReplicas: 100, intervalMs: 30_000 });
    assert.deepEqual(config.leaderElection, { leaseName: '', identity: '', leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 });
    assert.equal(config.kafka.topic, 'todo-history-events');
  });

  it('requires the Deployment', () => {
    const problems = problemsOf({});
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /^scaler\.deployment \(SCALER_DEPLOYMENT\): must be a Kubernetes object name/);
  });

  it('refuses names Kubernetes would refuse, before connecting anywhere', () => {
    const problems = problemsOf({ SCALER_DEPLOYMENT: 'Todo History', SCALER_NAMESPACE: 'apps.prod', SCALER_LEASE_NAME: 'lease_1' });
    assert.deepEqual(problems.map((p) => p.split(':')[0]), [
      'scaler.namespace (SCALER_NAMESPACE)',
      'scaler.deployment (SCALER_DEPLOYMENT)',
      'leaderElection.leaseName (SCALER_LEASE_NAME)',
    ]);
  });

  it('refuses a minimum above the maximum', () => {
    assert.deepEqual(problemsOf({ ...required, SCALER_MIN_REPLICAS: '5', SCALER_MAX_REPLICAS: '4' }), ['scaler.minReplicas (SCALER_MIN_REPLICAS): must not exceed SCALER_MAX_REPLICAS']);
  });

  it('keeps client-go\'s ordering of the lease timings', () => {
    assert.match(problemsOf({ ...required, SCALER_RENEW_DEADLINE_MS: '15000' }).join('\n'), /SCALER_RENEW_DEADLINE_MS\): must be below SCALER_LEASE_DURATION_MS/);
    // 10 s must exceed 1.2 x the retry period: 9 s is too long, 8 s is fine.
    assert.match(problemsOf({ ...required, SCALER_RETRY_PERIOD_MS: '9000' }).join('\n'), /SCALER_RETRY_PERIOD_MS\): must be below SCALER_RENEW_DEADLINE_MS \/ 1.2/);
    assert.equal(loadScalerConfig({ ...required, SCALER_RETRY_PERIOD_MS: '8000' }).leaderElection.retryPeriodMs, 8_000);
  });

  it('wants the lease duration in whole seconds, as the Lease stores it', () => {
    assert.match(problemsOf({ ...required, SCALER_LEASE_DURATION_MS: '15500' }).join('\n'), /SCALER_LEASE_DURATION_MS\): must be whole seconds/);
  });

  it('shares the Kafka connection settings with the consumer and offers a _FILE only for the SASL password', () => {
    const config = loadScalerConfig({ ...required, KAFKA_BROKERS: 'a:9092,b:9092', KAFKA_TOPIC: 'events' });
    assert.deepEqual(config.kafka.brokers, ['a:9092', 'b:9092']);
    assert.equal(config.kafka.topic, 'events');
    assert.deepEqual(scalerConfigKeys.filter((k) => k.sensitive).map((k) => k.env), ['KAFKA_SASL_PASSWORD']);
  });

  it('is logged without the SASL password', () => {
    const config = loadScalerConfig({ ...required, KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'kpw' });
    assert.doesNotMatch(JSON.stringify(redactScalerConfig(config)), /kpw/);
  });
});
