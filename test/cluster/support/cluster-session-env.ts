/** What the cluster session tells the cluster test files, through their environment. */
export interface ClusterSessionEnv {
  /** kubeconfig of a system:masters user. */
  readonly kubeconfig: string;
  readonly kubectl: string;
  readonly helm: string;
  readonly crictl: string;
  readonly skaffold: string;
  /** host:port of the plain-HTTP registry containerd pulls from: skaffold's default repo. */
  readonly registry: string;
  /** containerd's CRI socket, for crictl. */
  readonly containerdSocket: string;
  /** The application image, already in the node's containerd. */
  readonly image: string;
  /** The application image plus one additive migration of the same level, also in containerd. */
  readonly upgradeImage: string;
  /** The node's IP: Kafka and PostgreSQL listen there for the pods. */
  readonly nodeIp: string;
  /** Bootstrap brokers reachable from pods and from the tests alike. */
  readonly kafkaBrokers: string;
  /** PostgreSQL superuser URL for the tests (loopback). */
  readonly databaseUrl: string;
  /** The same server as pods reach it (node IP). */
  readonly podDatabaseUrl: string;
}

const VARIABLES: Readonly<Record<keyof ClusterSessionEnv, string>> = {
  kubeconfig: 'KUBECONFIG',
  kubectl: 'CLUSTER_KUBECTL',
  helm: 'CLUSTER_HELM',
  crictl: 'CLUSTER_CRICTL',
  skaffold: 'CLUSTER_SKAFFOLD',
  registry: 'CLUSTER_REGISTRY',
  containerdSocket: 'CLUSTER_CONTAINERD_SOCKET',
  image: 'CLUSTER_IMAGE',
  upgradeImage: 'CLUSTER_UPGRADE_IMAGE',
  nodeIp: 'CLUSTER_NODE_IP',
  kafkaBrokers: 'KAFKA_BROKERS',
  databaseUrl: 'DATABASE_URL',
  podDatabaseUrl: 'CLUSTER_POD_DATABASE_URL',
};

export function toEnvironment(session: ClusterSessionEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(VARIABLES).map(([key, variable]) => [variable, session[key as keyof ClusterSessionEnv]]));
}

/** The session's settings in a cluster test file; fails when the file is run without `npm run test:cluster`. */
export function clusterSessionEnv(): ClusterSessionEnv {
  const entries = Object.entries(VARIABLES).map(([key, variable]) => {
    const value = process.env[variable];
    if (value === undefined || value === '') throw new Error(`${variable} is not set: run the cluster tests with \`npm run test:cluster\``);
    return [key, value];
  });
  return Object.fromEntries(entries) as ClusterSessionEnv;
}
