import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { configKeys } from '../../src/config/config-keys.js';
import { scalerConfigKeys } from '../../src/config/scaler-config-schema.js';
import { helmTemplate, RELEASE, renderChart, type RenderOptions } from '../support/kubernetes/helm-chart.js';
import { kubeconform } from '../support/kubernetes/kubeconform.js';
import { findObject, podSpecOf, type Deployment, type Job, type KubeObject } from '../support/kubernetes/manifests.js';
import { classifySettings, containerSettings, effectiveEnvironment, mountedSecretKey } from '../support/kubernetes/pod-settings.js';

// The first run may build helm and kubeconform from source.
const TOOL_BUILD_TIMEOUT_MS = 30 * 60_000;
const FULLNAME = `${RELEASE}-todo-history`;

/** Managed Kafka with mutual TLS and SCRAM, managed PostgreSQL with verify-full and a client certificate, the scaler on. */
const mutualTls: RenderOptions = {
  valuesFiles: ['ci/defaults-values.yaml'],
  set: {
    'kafka.brokers': 'b-1.kafka.example:9094',
    'kafka.ssl.enabled': 'true',
    'kafka.ssl.caSecret.name': 'kafka-ca',
    'kafka.ssl.caSecret.key': 'ca.pem',
    'kafka.ssl.clientCertificateSecret.name': 'kafka-client',
    'kafka.sasl.mechanism': 'scram-sha-512',
    'kafka.sasl.username': 'todo-history',
    'auth.kafkaSaslPassword': 'not-a-real-sasl-password',
    'database.sslMode': 'verify-full',
    'database.sslCaSecret.name': 'rds-ca',
    'database.sslCaSecret.key': 'global-bundle.pem',
    'database.sslClientCertificateSecret.name': 'database-client',
    'database.sslClientCertificateSecret.certificateKey': 'client.crt',
    'database.sslClientCertificateSecret.privateKeyKey': 'client.key',
    'scaler.enabled': 'true',
  },
};

const kafkaFiles = {
  KAFKA_SSL_CA_FILE: { secret: 'kafka-ca', key: 'ca.pem' },
  KAFKA_SSL_CERT_FILE: { secret: 'kafka-client', key: 'tls.crt' },
  KAFKA_SSL_KEY_FILE: { secret: 'kafka-client', key: 'tls.key' },
};
const databaseFiles = {
  DATABASE_SSL_CA_FILE: { secret: 'rds-ca', key: 'global-bundle.pem' },
  DATABASE_SSL_CERT_FILE: { secret: 'database-client', key: 'client.crt' },
  DATABASE_SSL_KEY_FILE: { secret: 'database-client', key: 'client.key' },
};

describe('Helm chart: CAs and client certificates from existing Secrets', { timeout: TOOL_BUILD_TIMEOUT_MS }, () => {
  let objects: KubeObject[];

  before(async () => {
    objects = await renderChart(mutualTls);
  }, { timeout: TOOL_BUILD_TIMEOUT_MS });

  /** Each TLS file setting of a workload's container, with the Secret key mounted at its path. */
  const tlsFilesOf = (workload: KubeObject, keys = configKeys): Record<string, { secret: string; key: string } | undefined> => {
    const pod = podSpecOf(workload);
    const [container] = pod.containers;
    assert.ok(container, workload.metadata.name);
    const env = effectiveEnvironment(classifySettings(containerSettings(container, objects), keys, pod, container), objects);
    const files = Object.entries(env).filter(([name]) => /^(KAFKA|DATABASE)_SSL_(CA|CERT|KEY)_FILE$/.test(name));
    return Object.fromEntries(files.map(([name, file]) => [name, mountedSecretKey(pod, container, file)]));
  };

  it('mounts the Kafka and the database files into the consumer, each from its Secret and key', () => {
    assert.deepEqual(tlsFilesOf(findObject<Deployment>(objects, 'Deployment', FULLNAME)), { ...kafkaFiles, ...databaseFiles });
  });

  it('gives the migration Job only the database files, and the scaler only the Kafka files', () => {
    assert.deepEqual(tlsFilesOf(findObject<Job>(objects, 'Job', `${FULLNAME}-migrate`)), databaseFiles);
    assert.deepEqual(tlsFilesOf(findObject<Deployment>(objects, 'Deployment', `${FULLNAME}-scaler`), scalerConfigKeys), kafkaFiles);
  });

  it('projects only the keys it names, private keys readable by owner and group alone', () => {
    // Written 0440: octal to Kubernetes' YAML 1.1 reader, the digits 440 to this YAML 1.2 parser.
    const ownerAndGroupReadable = 440;
    const pod = podSpecOf(findObject<Deployment>(objects, 'Deployment', FULLNAME));
    const volume = (name: string) => pod.volumes?.find((candidate) => candidate.name === name) as { secret?: { secretName: string; defaultMode?: number; items?: unknown[] } } | undefined;
    assert.deepEqual(volume('kafka-client-certificate')?.secret, {
      secretName: 'kafka-client',
      defaultMode: ownerAndGroupReadable,
      items: [{ key: 'tls.crt', path: 'tls.crt' }, { key: 'tls.key', path: 'tls.key' }],
    });
    assert.deepEqual(volume('database-client-certificate')?.secret, {
      secretName: 'database-client',
      defaultMode: ownerAndGroupReadable,
      items: [{ key: 'client.crt', path: 'client.crt' }, { key: 'client.key', path: 'client.key' }],
    });
  });

  it('renders manifests valid for kubeconform -strict', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'todo-history-tls-chart-'));
    try {
      const file = path.join(dir, 'tls.yaml');
      await fs.writeFile(file, (await helmTemplate(mutualTls)).stdout);
      const report = await kubeconform([file]);
      assert.equal(report.exitCode, 0, report.resources.filter((r) => r.status !== 'statusValid').map((r) => `${r.kind}/${r.name}: ${r.msg}`).join('\n'));
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses TLS files that the application would refuse: with TLS off, or a CA without verify-full', async () => {
    const fails = async (set: Record<string, string>, expected: RegExp): Promise<void> => {
      const result = await helmTemplate({ valuesFiles: ['ci/defaults-values.yaml'], set });
      assert.equal(result.exitCode, 1, `${JSON.stringify(set)} was accepted`);
      assert.match(result.stderr, expected);
    };
    await fails({ 'kafka.ssl.caSecret.name': 'kafka-ca' }, /kafka\.ssl\.caSecret\.name needs kafka\.ssl\.enabled: true/);
    await fails({ 'kafka.ssl.clientCertificateSecret.name': 'kafka-client' }, /kafka\.ssl\.clientCertificateSecret\.name needs kafka\.ssl\.enabled: true/);
    await fails({ 'database.sslMode': 'require', 'database.sslCaSecret.name': 'rds-ca' }, /database\.sslCaSecret\.name needs database\.sslMode verify-full \(require does not verify the server\)/);
    await fails({ 'database.sslClientCertificateSecret.name': 'database-client' }, /database\.sslClientCertificateSecret\.name needs database\.sslMode require or verify-full/);
    const schema = await helmTemplate({ valuesFiles: ['ci/defaults-values.yaml'], set: { 'kafka.ssl.clientCertificateSecret.privateKey': 'tls.key' } });
    assert.equal(schema.exitCode, 1, 'an unknown key is refused by values.schema.json');
    assert.match(schema.stderr, /additional properties 'privateKey' not allowed/);
  });
});
