import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderServerProperties, scramCredentialArguments, type SaslSslListenerSettings } from '../../deploy/local/services/kafka-broker-config.js';

const saslSsl: SaslSslListenerSettings = {
  port: 9094,
  advertisedHost: 'localhost',
  certificatePem: '-----BEGIN CERTIFICATE-----\nAAAA\nBBBB\n-----END CERTIFICATE-----\n',
  keyPem: '-----BEGIN PRIVATE KEY-----\nCCCC\n-----END PRIVATE KEY-----\n',
  caPem: '-----BEGIN CERTIFICATE-----\nDDDD\n-----END CERTIFICATE-----\n',
  scramUser: { username: 'scram-user', password: 'scram-secret' },
  plainUser: { username: 'plain-user', password: 'plain-secret' },
};

/** server.properties as Java's Properties reads it: one key=value a line, `\n` escapes turned back into newlines. */
function parse(text: string): Map<string, string> {
  return new Map(
    text
      .trim()
      .split('\n')
      .map((line) => {
        const separator = line.indexOf('=');
        return [line.slice(0, separator), line.slice(separator + 1).replaceAll('\\n', '\n')] as const;
      }),
  );
}

describe('renderServerProperties with a SASL_SSL listener', () => {
  const base = { brokerPort: 9092, controllerPort: 9093, dataDir: '/tmp/data', advertisedHost: '127.0.0.1', overrides: {} };

  it('keeps the plaintext listener and adds SASL_SSL, advertised under the certificate\'s name', () => {
    const properties = parse(renderServerProperties({ ...base, saslSsl }));
    assert.equal(properties.get('listeners'), 'PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093,SASL_SSL://127.0.0.1:9094');
    assert.equal(properties.get('advertised.listeners'), 'PLAINTEXT://127.0.0.1:9092,SASL_SSL://localhost:9094');
    assert.equal(properties.get('listener.security.protocol.map'), 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL');
    assert.equal(properties.get('inter.broker.listener.name'), 'PLAINTEXT');
    assert.equal(properties.get('listener.name.sasl_ssl.sasl.enabled.mechanisms'), 'SCRAM-SHA-512,PLAIN');
  });

  it('writes the PEM key material inline, each on one line that reads back as the original', () => {
    const text = renderServerProperties({ ...base, saslSsl });
    const properties = parse(text);
    assert.equal(properties.get('listener.name.sasl_ssl.ssl.keystore.certificate.chain'), saslSsl.certificatePem.trim());
    assert.equal(properties.get('listener.name.sasl_ssl.ssl.keystore.key'), saslSsl.keyPem.trim());
    assert.equal(properties.get('listener.name.sasl_ssl.ssl.truststore.certificates'), saslSsl.caPem.trim());
    assert.ok(!text.includes('-----\nAAAA'), 'no raw newline inside a value');
  });

  it('lets the PLAIN user in from the JAAS configuration and the SCRAM user from the storage format', () => {
    const properties = parse(renderServerProperties({ ...base, saslSsl }));
    assert.equal(properties.get('listener.name.sasl_ssl.plain.sasl.jaas.config'), 'org.apache.kafka.common.security.plain.PlainLoginModule required user_plain-user="plain-secret";');
    assert.deepEqual(scramCredentialArguments(saslSsl), ['--add-scram', 'SCRAM-SHA-512=[name=scram-user,password=scram-secret]']);
  });

  it('renders no TLS at all without the listener', () => {
    const text = renderServerProperties(base);
    assert.ok(!text.includes('SASL_SSL') && !text.includes('ssl.'), text);
    assert.deepEqual(scramCredentialArguments(undefined), []);
  });
});

describe('renderServerProperties for a node of a cluster', () => {
  const base = { brokerPort: 9092, controllerPort: 9093, dataDir: '/tmp/data', advertisedHost: '127.0.0.1', overrides: {} };
  const voters = [
    { nodeId: 1, controllerPort: 9093 },
    { nodeId: 2, controllerPort: 9193 },
    { nodeId: 3, controllerPort: 9293 },
  ];

  it('names its own node id and every voter of the quorum', () => {
    const properties = parse(renderServerProperties({ ...base, brokerPort: 9192, controllerPort: 9193, quorum: { nodeId: 2, voters } }));
    assert.equal(properties.get('node.id'), '2');
    assert.equal(properties.get('process.roles'), 'broker,controller');
    assert.equal(properties.get('controller.quorum.voters'), '1@127.0.0.1:9093,2@127.0.0.1:9193,3@127.0.0.1:9293');
    assert.equal(properties.get('listeners'), 'PLAINTEXT://127.0.0.1:9192,CONTROLLER://127.0.0.1:9193');
  });

  it('replicates topics and internal topics to three nodes and needs two in sync, as production does', () => {
    const properties = parse(renderServerProperties({ ...base, quorum: { nodeId: 1, voters } }));
    for (const key of ['default.replication.factor', 'offsets.topic.replication.factor', 'transaction.state.log.replication.factor']) assert.equal(properties.get(key), '3', key);
    for (const key of ['min.insync.replicas', 'transaction.state.log.min.isr']) assert.equal(properties.get(key), '2', key);
  });

  it('keeps a single node voting alone, with nothing replicated', () => {
    const properties = parse(renderServerProperties(base));
    assert.equal(properties.get('node.id'), '1');
    assert.equal(properties.get('controller.quorum.voters'), '1@127.0.0.1:9093');
    assert.equal(properties.get('default.replication.factor'), '1');
    assert.equal(properties.get('min.insync.replicas'), '1');
  });
});
