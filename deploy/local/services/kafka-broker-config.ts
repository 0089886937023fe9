import { randomBytes } from 'node:crypto';
import { LOOPBACK_HOST } from '../system/free-port.js';

/** The node id of a single-node broker, and of the first node of a cluster. */
export const KAFKA_NODE_ID = 1;

/** A controller of the KRaft quorum: its node id and its CONTROLLER listener's loopback port. */
export interface KafkaQuorumVoter {
  readonly nodeId: number;
  readonly controllerPort: number;
}

/** Which node of which quorum a combined broker+controller is. */
export interface KafkaQuorumMembership {
  readonly nodeId: number;
  /** Every controller of the cluster, this node included. */
  readonly voters: readonly KafkaQuorumVoter[];
}

export interface KafkaServerSettings {
  readonly brokerPort: number;
  readonly controllerPort: number;
  readonly dataDir: string;
  /** Host clients are told to connect to; anything but loopback makes the broker listen on every address. */
  readonly advertisedHost: string;
  /** A second, SASL_SSL listener next to the plaintext one. */
  readonly saslSsl?: SaslSslListenerSettings;
  /** Extra or overriding server.properties entries. */
  readonly overrides: Readonly<Record<string, string>>;
  /** Its place in a multi-node cluster; a single node (KAFKA_NODE_ID, voting alone) without it. */
  readonly quorum?: KafkaQuorumMembership;
}

/** A SASL user of the local broker. */
export interface KafkaSaslUser {
  readonly username: string;
  readonly password: string;
}

export interface SaslSslListenerSettings {
  readonly port: number;
  /** The name its certificate is issued for, which clients are told to connect to. */
  readonly advertisedHost: string;
  /** PEM texts: the server's certificate and PKCS#8 key, and the CA whose client certificates it accepts. */
  readonly certificatePem: string;
  readonly keyPem: string;
  readonly caPem: string;
  /** Authenticates with SCRAM-SHA-512; its credentials are written at storage format time (scramCredentialArguments). */
  readonly scramUser: KafkaSaslUser;
  /** Authenticates with PLAIN, from the listener's JAAS configuration. */
  readonly plainUser: KafkaSaslUser;
}

const SASL_SSL_PREFIX = 'listener.name.sasl_ssl';

/** A PEM text as one server.properties value: Java's Properties reads the `\n` escapes back as newlines. */
function inlinePem(pem: string): string {
  return pem.trim().replaceAll('\n', '\\n');
}

/**
 * The SASL_SSL listener's own settings: PEM key material inline (no keystore files or passwords), client
 * certificates verified when presented (mutual TLS is optional), SCRAM-SHA-512 and PLAIN.
 */
function saslSslProperties(listener: SaslSslListenerSettings): Record<string, string> {
  const { username, password } = listener.plainUser;
  return {
    [`${SASL_SSL_PREFIX}.ssl.keystore.type`]: 'PEM',
    [`${SASL_SSL_PREFIX}.ssl.keystore.certificate.chain`]: inlinePem(listener.certificatePem),
    [`${SASL_SSL_PREFIX}.ssl.keystore.key`]: inlinePem(listener.keyPem),
    [`${SASL_SSL_PREFIX}.ssl.truststore.type`]: 'PEM',
    [`${SASL_SSL_PREFIX}.ssl.truststore.certificates`]: inlinePem(listener.caPem),
    [`${SASL_SSL_PREFIX}.ssl.client.auth`]: 'requested',
    [`${SASL_SSL_PREFIX}.sasl.enabled.mechanisms`]: 'SCRAM-SHA-512,PLAIN',
    [`${SASL_SSL_PREFIX}.scram-sha-512.sasl.jaas.config`]: 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    [`${SASL_SSL_PREFIX}.plain.sasl.jaas.config`]: `org.apache.kafka.common.security.plain.PlainLoginModule required user_${username}="${password}";`,
  };
}

/** `kafka-storage format` arguments that store the SCRAM user's credentials in the cluster metadata (KIP-900). */
export function scramCredentialArguments(listener: SaslSslListenerSettings | undefined): string[] {
  if (listener === undefined) return [];
  const { username, password } = listener.scramUser;
  return ['--add-scram', `SCRAM-SHA-512=[name=${username},password=${password}]`];
}

/**
 * server.properties for a combined broker+controller in KRaft mode, sized for tests: a single node, or
 * one node of a cluster whose topics are replicated to every node (at most three) and, from three on,
 * need two in-sync replicas, as a production cluster's do.
 */
export function renderServerProperties({ brokerPort, controllerPort, dataDir, advertisedHost, saslSsl, overrides, quorum }: KafkaServerSettings): string {
  const { nodeId, voters } = quorum ?? { nodeId: KAFKA_NODE_ID, voters: [{ nodeId: KAFKA_NODE_ID, controllerPort }] };
  const replicas = String(Math.min(voters.length, 3));
  const minInSync = voters.length >= 3 ? '2' : '1';
  const listenHost = advertisedHost === LOOPBACK_HOST ? LOOPBACK_HOST : '0.0.0.0';
  const listeners = [`PLAINTEXT://${listenHost}:${brokerPort}`, `CONTROLLER://${LOOPBACK_HOST}:${controllerPort}`];
  const advertisedListeners = [`PLAINTEXT://${advertisedHost}:${brokerPort}`];
  const protocols = ['PLAINTEXT:PLAINTEXT', 'CONTROLLER:PLAINTEXT'];
  if (saslSsl !== undefined) {
    // It listens where the plaintext listener does; its certificate names saslSsl.advertisedHost.
    listeners.push(`SASL_SSL://${listenHost}:${saslSsl.port}`);
    advertisedListeners.push(`SASL_SSL://${saslSsl.advertisedHost}:${saslSsl.port}`);
    protocols.push('SASL_SSL:SASL_SSL');
  }
  const properties: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': String(nodeId),
    'controller.quorum.voters': voters.map((voter) => `${voter.nodeId}@${LOOPBACK_HOST}:${voter.controllerPort}`).join(','),
    listeners: listeners.join(','),
    'advertised.listeners': advertisedListeners.join(','),
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': protocols.join(','),
    ...(saslSsl === undefined ? {} : saslSslProperties(saslSsl)),
    'log.dirs': dataDir,
    'auto.create.topics.enable': 'false',
    'num.partitions': '1',
    'default.replication.factor': replicas,
    'min.insync.replicas': minInSync,
    'offsets.topic.replication.factor': replicas,
    'transaction.state.log.replication.factor': replicas,
    'transaction.state.log.min.isr': minInSync,
    'share.coordinator.state.topic.replication.factor': replicas,
    'share.coordinator.state.topic.min.isr': minInSync,
    // Fewer internal partitions than the default 50 make the first consumer group / transaction noticeably faster to set up.
    'offsets.topic.num.partitions': '4',
    'transaction.state.log.num.partitions': '4',
    'group.initial.rebalance.delay.ms': '0',
    ...overrides,
  };
  return `${Object.entries(properties)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')}\n`;
}

/** log4j2 configuration sending everything to stdout, which the broker process has redirected into its log file. */
export function renderLog4jConfig(): string {
  return `status = warn
appender.console.type = Console
appender.console.name = console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.console.ref = console
`;
}

/** A KRaft cluster id: 16 random bytes, URL-safe base64 (Kafka avoids ids starting with '-', which look like CLI flags). */
export function generateClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
