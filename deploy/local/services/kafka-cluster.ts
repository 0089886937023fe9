import { findFreePorts } from '../system/free-port.js';
import { generateClusterId, KAFKA_NODE_ID, type KafkaQuorumVoter } from './kafka-broker-config.js';
import { prepareKafkaNode, resolveKafkaRuntime, type KafkaBrokerHandle, type KafkaBrokerOptions } from './kafka-broker.js';

export interface KafkaClusterOptions extends Pick<KafkaBrokerOptions, 'version' | 'cacheDir' | 'startupTimeoutMs' | 'serverProperties' | 'classDataSharing'> {
  /** How many nodes, each a broker and a controller. Default 3. */
  readonly nodes?: number;
  /** JVM maximum heap of each node, as for -Xmx. Default 320m: three nodes share a small machine. */
  readonly maxHeap?: string;
}

export interface KafkaClusterHandle {
  /** Bootstrap addresses of every node, "127.0.0.1:PORT,…", as KAFKA_BROKERS takes them. */
  readonly brokers: string;
  readonly clusterId: string;
  /** The nodes, by ascending node id; each can be killed, stopped and started again on its ports and data. */
  readonly nodes: readonly KafkaBrokerHandle[];
  /** The node with this KRaft node id. */
  node(nodeId: number): KafkaBrokerHandle;
  /** Kills every node and deletes every node's files. */
  destroy(): Promise<void>;
}

const DEFAULT_NODES = 3;
const DEFAULT_MAX_HEAP = '320m';

/**
 * Starts a KRaft cluster on loopback whose every node is a broker and a voter of the controller quorum
 * (static `controller.quorum.voters`, one cluster id), with the internal topics replicated to three
 * nodes and two in-sync replicas required, so a test can kill any one node and the cluster goes on.
 */
export async function startKafkaCluster(options: KafkaClusterOptions = {}): Promise<KafkaClusterHandle> {
  const count = options.nodes ?? DEFAULT_NODES;
  const runtime = await resolveKafkaRuntime(options);
  const ports = await findFreePorts(2 * count);
  const voters: KafkaQuorumVoter[] = Array.from({ length: count }, (_, index) => ({ nodeId: KAFKA_NODE_ID + index, controllerPort: portAt(ports, 2 * index + 1) }));
  const clusterId = generateClusterId();
  const nodeOptions: KafkaBrokerOptions = { ...options, maxHeap: options.maxHeap ?? DEFAULT_MAX_HEAP };
  const prepared = await Promise.allSettled(
    voters.map(({ nodeId, controllerPort }, index) => prepareKafkaNode(runtime, nodeOptions, { nodeId, brokerPort: portAt(ports, 2 * index), controllerPort, clusterId, voters })),
  );
  const nodes = prepared.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const cluster = new LocalKafkaCluster(clusterId, nodes);
  try {
    const failed = prepared.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    // Together: no node is ready before a majority of the controllers runs.
    await Promise.all(nodes.map((node) => node.start()));
    return cluster;
  } catch (error) {
    await cluster.destroy();
    throw error;
  }
}

function portAt(ports: readonly number[], index: number): number {
  const port = ports[index];
  if (port === undefined) throw new Error(`Could not find ${ports.length + 1} free ports for a Kafka cluster`);
  return port;
}

class LocalKafkaCluster implements KafkaClusterHandle {
  readonly brokers: string;

  constructor(
    readonly clusterId: string,
    readonly nodes: readonly KafkaBrokerHandle[],
  ) {
    this.brokers = nodes.map((node) => node.brokers).join(',');
  }

  node(nodeId: number): KafkaBrokerHandle {
    const node = this.nodes.find((candidate) => candidate.nodeId === nodeId);
    if (node === undefined) throw new Error(`The cluster has no node ${nodeId}`);
    return node;
  }

  async destroy(): Promise<void> {
    // Killed, not stopped: a graceful shutdown waits for a controller, which the last nodes no longer have.
    const results = await Promise.allSettled(
      this.nodes.map(async (node) => {
        try {
          await node.kill();
        } finally {
          await node.destroy();
        }
      }),
    );
    const failed = results.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }
}
