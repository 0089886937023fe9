import { randomBytes } from 'node:crypto';
import { LOOPBACK_HOST } from '../system/free-port.js';

export const KAFKA_NODE_ID = 1;

export interface KafkaServerSettings {
  readonly brokerPort: number;
  readonly controllerPort: number;
  readonly dataDir: string;
  /** Host clients are told to connect to; anything but loopback makes the broker listen on every address. */
  readonly advertisedHost: string;
  /** Extra or overriding server.properties entries. */
  readonly overrides: Readonly<Record<string, string>>;
}

/** server.properties for a single combined broker+controller in KRaft mode, sized for tests. */
export function renderServerProperties({ brokerPort, controllerPort, dataDir, advertisedHost, overrides }: KafkaServerSettings): string {
  const listenHost = advertisedHost === LOOPBACK_HOST ? LOOPBACK_HOST : '0.0.0.0';
  const properties: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': String(KAFKA_NODE_ID),
    'controller.quorum.voters': `${KAFKA_NODE_ID}@${LOOPBACK_HOST}:${controllerPort}`,
    listeners: `PLAINTEXT://${listenHost}:${brokerPort},CONTROLLER://${LOOPBACK_HOST}:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${advertisedHost}:${brokerPort}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': dataDir,
    'auto.create.topics.enable': 'false',
    'num.partitions': '1',
    'default.replication.factor': '1',
    'min.insync.replicas': '1',
    'offsets.topic.replication.factor': '1',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
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
