import { Kafka, logLevel } from 'kafkajs';
import { isPortAccepting } from '../system/free-port.js';
import { KAFKA_NODE_ID } from './kafka-broker-config.js';

/** True once the broker accepts connections and answers metadata requests listing itself (node `nodeId`). */
export async function isKafkaBrokerReady(brokers: string, port: number, nodeId = KAFKA_NODE_ID): Promise<boolean> {
  // A cheap TCP probe first, so kafkajs is not asked to connect to a port nobody listens on yet.
  if (!(await isPortAccepting(port))) return false;
  const admin = new Kafka({
    clientId: 'local-services-readiness',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 2_000,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.some((broker) => broker.nodeId === nodeId);
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
